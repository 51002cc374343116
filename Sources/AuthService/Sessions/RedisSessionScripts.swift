/// The Lua scripts on the session record `session:<sid>` (``RedisSessionStore``). Redis runs each one
/// atomically, so of concurrent refreshes of one token exactly one rotates it.
enum RedisSessionScripts {
    /// Lua: the user agent is kept in pieces of at most 64 bytes (`ua`, `ua2`, ... `ua13`: 200
    /// characters of up to 4 bytes). A longer value would turn the whole hash from Redis's compact
    /// listpack into a hashtable (`hash-max-listpack-value`, 64 by default): about 1.5 KB instead of
    /// 0.5 KB per session, and Redis never converts it back. Pieces are joined byte for byte, so a cut
    /// inside a character is harmless. `rewriteLegacy` writes an earlier record (one `ua` field of any
    /// length, the live token's key) anew with the fields that stay, so that it is compact again.
    static let agentFunctions = """
        local function setAgent(key, ua)
            local n = 0
            for i = 1, #ua, 64 do
                n = n + 1
                redis.call('HSET', key, n == 1 and 'ua' or 'ua' .. n, string.sub(ua, i, i + 63))
            end
        end
        local function rewriteLegacy(key)
            local names = {'uid', 'created', 'used', 'exp', 'idle', 'ip'}
            local kept = redis.call('HMGET', key, unpack(names))
            local ua = redis.call('HGET', key, 'ua')
            redis.call('DEL', key)
            for i, name in ipairs(names) do
                if kept[i] and kept[i] ~= '' then redis.call('HSET', key, name, kept[i]) end
            end
            if ua then setAgent(key, ua) end
        end
        local function agent(key)
            local pieces = redis.call('HMGET', key, 'ua', 'ua2', 'ua3', 'ua4', 'ua5', 'ua6', 'ua7', 'ua8', 'ua9', 'ua10', 'ua11', 'ua12', 'ua13')
            local out = {}
            for _, piece in ipairs(pieces) do
                if not piece then break end
                out[#out + 1] = piece
            end
            return table.concat(out)
        end

        """

    /// KEYS: session record, user sessions, user epoch. ARGV: uid, now, absolute lifetime, idle lifetime,
    /// expired notice, user agent, address, the epoch the account was read at, epoch retention, family
    /// digest, secret digest, sid. 0 (nothing written) when the epoch has moved past the one read; a
    /// newer one read raises the mirror (PostgreSQL committed it).
    static let open = agentFunctions + """
        local epoch = tonumber(ARGV[8])
        local mirror = tonumber(redis.call('GET', KEYS[3]) or '-1')
        if epoch < mirror then return 0 end
        if epoch > mirror then redis.call('SET', KEYS[3], ARGV[8], 'EX', ARGV[9]) end
        local now = tonumber(ARGV[2])
        local exp = now + tonumber(ARGV[3])
        local idle = math.min(exp, now + tonumber(ARGV[4]))
        redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'created', now, 'used', now, 'exp', exp, 'idle', idle,
            'gen', 1, 'fam', ARGV[10], 'cur', ARGV[11])
        if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'ip', ARGV[7]) end
        setAgent(KEYS[1], ARGV[6])
        redis.call('EXPIREAT', KEYS[1], idle + tonumber(ARGV[5]))
        redis.call('SADD', KEYS[2], ARGV[12])
        redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[5]))
        return 1
        """

    /// The current generation's token rotates: the successor's digest becomes current, the presented
    /// one's previous, and the nonce it was derived with is kept. The previous generation's token,
    /// within the grace window, gets the sealed pair of that rotation; later, while the successor is
    /// unused (it is: it is current), the nonce, from which the caller derives the same successor
    /// again (the GoTrue rule). Any older generation of the family is reuse: the session is revoked. A
    /// token whose family or secret the record does not know is unknown: nothing is revoked for it.
    /// Refused, changing nothing, when the account's credential epoch has moved past the one the refresh
    /// read (`changed`): the caller reads the account again.
    /// KEYS: session record, session denial, user cut-off, user sessions, user epoch, grace pair.
    /// ARGV: now, uid (as read before), generation presented, its secret's digest, its family's digest,
    /// the successor's secret digest, its nonce, the sealed pair, idle lifetime, grace, revocation
    /// retention, expired notice, the epoch the account was read at, epoch retention, sid.
    static let rotate = """
        local f = redis.call('HMGET', KEYS[1], 'uid', 'exp', 'created', 'idle', 'gen', 'fam', 'cur', 'prev', 'rot', 'nonce')
        if f[1] ~= ARGV[2] or f[6] ~= ARGV[5] then return {'unknown'} end
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'revoked'} end
        if tonumber(f[3]) < tonumber(redis.call('GET', KEYS[3]) or '0') then return {'revoked'} end
        local epoch = tonumber(ARGV[13])
        local mirror = tonumber(redis.call('GET', KEYS[5]) or '-1')
        if epoch < mirror then return {'changed'} end
        if epoch > mirror then redis.call('SET', KEYS[5], ARGV[13], 'EX', ARGV[14]) end
        local exp = tonumber(f[2])
        if exp <= now then return {'expired'} end
        local gen = tonumber(f[5])
        local presented = tonumber(ARGV[3])
        if presented == gen or presented == gen - 1 then
            if (presented == gen and f[7] or f[8]) ~= ARGV[4] then return {'unknown'} end
            if tonumber(f[4]) <= now then return {'expired'} end
            local idle = math.min(exp, now + tonumber(ARGV[9]))
            if presented == gen then
                redis.call('HSET', KEYS[1], 'gen', gen + 1, 'cur', ARGV[6], 'prev', ARGV[4], 'rot', now, 'nonce', ARGV[7],
                    'used', now, 'idle', idle)
                redis.call('EXPIREAT', KEYS[1], idle + tonumber(ARGV[12]))
                redis.call('SET', KEYS[6], ARGV[8], 'EX', tonumber(ARGV[10]) + 1)
                return {'rotated'}
            end
            if now - tonumber(f[9]) <= tonumber(ARGV[10]) then
                local sealed = redis.call('GET', KEYS[6])
                if sealed then return {'grace', sealed} end
            end
            -- A replay is a use of the session: the unused successor's idle time starts again.
            redis.call('HSET', KEYS[1], 'used', now, 'idle', idle)
            redis.call('EXPIREAT', KEYS[1], idle + tonumber(ARGV[12]))
            return {'successor', f[10]}
        end
        if presented > gen then return {'unknown'} end
        redis.call('SET', KEYS[2], 'reused', 'EX', ARGV[11])
        redis.call('SREM', KEYS[4], ARGV[15])
        redis.call('DEL', KEYS[6])
        return {'reused'}
        """

    /// KEYS: session record, session denial, the new token's user epoch, grace pair. ARGV: now, idle
    /// lifetime, uid, expired notice, the epoch of the account the session goes on under, epoch
    /// retention, the new family's digest, the new secret's digest. The session goes on (same start
    /// and end) with a new family at the next generation, which it returns: every earlier token of the
    /// session, an earlier-format live one included (deleted), is unknown from now on. 0 when the
    /// session is ended, expired, someone else's or has no record, or the epoch has moved past it.
    static let renew = agentFunctions + """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        local epoch = tonumber(ARGV[5])
        local mirror = tonumber(redis.call('GET', KEYS[3]) or '-1')
        if epoch < mirror then return 0 end
        local d = redis.call('HMGET', KEYS[1], 'uid', 'exp', 'live', 'gen')
        if d[1] ~= ARGV[3] then return 0 end
        local now = tonumber(ARGV[1])
        local exp = tonumber(d[2])
        if exp <= now then return 0 end
        if d[3] then
            redis.call('DEL', d[3])
            rewriteLegacy(KEYS[1])
        end
        local gen = (tonumber(d[4]) or 0) + 1
        local idle = math.min(exp, now + tonumber(ARGV[2]))
        redis.call('HDEL', KEYS[1], 'prev', 'rot', 'nonce')
        redis.call('HSET', KEYS[1], 'gen', gen, 'fam', ARGV[7], 'cur', ARGV[8], 'used', now, 'idle', idle)
        redis.call('EXPIREAT', KEYS[1], idle + tonumber(ARGV[4]))
        redis.call('DEL', KEYS[4])
        if epoch > mirror then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6]) end
        return gen
        """

    /// KEYS: user sessions. ARGV: now, record prefix, session-denial prefix, uid. Returns id, created,
    /// used, user agent, address of each live session with a record: not denied, not past its end or
    /// its idle expiry.
    static let list = agentFunctions + """
        local now = tonumber(ARGV[1])
        local out = {}
        for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            if redis.call('EXISTS', ARGV[3] .. sid) == 0 then
                local key = ARGV[2] .. sid
                local d = redis.call('HMGET', key, 'uid', 'created', 'used', 'exp', 'idle', 'ip')
                if d[1] == ARGV[4] and tonumber(d[4]) > now and tonumber(d[5]) > now then
                    out[#out + 1] = sid
                    out[#out + 1] = d[2]
                    out[#out + 1] = d[3]
                    out[#out + 1] = agent(key)
                    out[#out + 1] = d[6] or ''
                end
            end
        end
        return out
        """
}
