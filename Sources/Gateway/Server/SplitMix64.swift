/// A SplitMix64 sequence from a random seed, for the ids an event loop makes per request (request
/// ids, the trace ids of requests the sample leaves out). `UInt64.random` asks the kernel
/// (getrandom(2)) on every call; this asks it once per loop. Not for secrets: distinct 64-bit seeds
/// give sequences that do not meet in any realistic run, which is all an id needs.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64 = .random(in: .min ... .max)) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
