import CArgon2
import HummingbirdBcrypt
import NIOPosix

/// Hashes new passwords with argon2id (OWASP: m=19 MiB, t=2, p=1) and verifies both argon2id and
/// the tutorial's bcrypt hashes. All work runs on the NIO thread pool, never on an event loop.
struct PasswordHasher: Sendable {
    struct Parameters: Sendable {
        var iterations: UInt32 = 2
        var memoryKiB: UInt32 = 19 * 1024
        var parallelism: UInt32 = 1
    }

    struct Verification: Sendable, Equatable {
        var matches: Bool
        /// The stored hash is of an older kind (bcrypt) or weaker parameters: re-hash on success.
        var needsRehash: Bool
    }

    private let parameters: Parameters
    private let threadPool: NIOThreadPool
    /// Verified against when the user does not exist, so both paths cost the same.
    private let dummyHash: String

    init(parameters: Parameters = Parameters(), threadPool: NIOThreadPool = .singleton) throws {
        self.parameters = parameters
        self.threadPool = threadPool
        self.dummyHash = try Self.argon2id(password: "timing-equaliser-not-a-password", parameters: parameters)
    }

    func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await self.threadPool.runIfActive {
            try Self.argon2id(password: password, parameters: parameters)
        }
    }

    /// Verifies `password` against `storedHash`, or against a dummy hash when there is no user.
    func verify(_ password: String, against storedHash: String?) async throws -> Verification {
        let hash = storedHash ?? self.dummyHash
        let expectedPrefix = "$argon2id$v=19$m=\(self.parameters.memoryKiB),t=\(self.parameters.iterations),p=\(self.parameters.parallelism)$"
        let matches = try await self.threadPool.runIfActive {
            Self.matches(password: password, hash: hash)
        }
        return Verification(matches: matches && storedHash != nil, needsRehash: !hash.hasPrefix(expectedPrefix))
    }

    private static func matches(password: String, hash: String) -> Bool {
        if hash.hasPrefix("$argon2id$") {
            let bytes = Array(password.utf8)
            return argon2id_verify(hash, bytes, bytes.count) == ARGON2_OK.rawValue
        }
        if hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") {
            return Bcrypt.verify(password, hash: hash)
        }
        if hash.hasPrefix("$2y$") {
            // PHP's name for $2b$; the bundled C bcrypt only knows the minors a and b.
            return Bcrypt.verify(password, hash: "$2b$" + hash.dropFirst(4))
        }
        return false
    }

    static func argon2id(password: String, parameters: Parameters) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let hashLength = 32
        let encodedLength = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            UInt32(salt.count), UInt32(hashLength), Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let bytes = Array(password.utf8)
        let status = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            bytes, bytes.count, salt, salt.count, hashLength, &encoded, encodedLength
        )
        guard status == ARGON2_OK.rawValue else {
            throw PasswordHashingError(status: status)
        }
        return String(decoding: encoded.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// libargon2 refused to hash (out of memory, bad parameters).
struct PasswordHashingError: Error {
    var status: Int32
}
