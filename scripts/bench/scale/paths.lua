-- wrk script for bench-scale.sh: each request is a GET of one path, drawn at random from a file of
-- paths (one per line), with the headers given on the command line (-H).
--   BENCH_PATHS=FILE wrk -s scripts/bench/scale/paths.lua URL
local file = os.getenv("BENCH_PATHS")
assert(file, "paths.lua needs BENCH_PATHS (a file of request paths) in the environment")

local paths = {}
for line in io.lines(file) do
    if line ~= "" then paths[#paths + 1] = line end
end
assert(#paths > 0, "paths.lua: " .. file .. " holds no path")

-- Each wrk thread draws its own sequence; a thread's seed is its address, so threads differ.
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)

request = function()
    return wrk.format("GET", paths[math.random(#paths)])
end
