/// Lower-case hexadecimal for the ids the gateway writes itself (request ids, trace fields).
enum LowerHex {
    /// The 16 digits of `value`, most significant first, at `offset` of `digits`.
    static func write(_ value: UInt64, into digits: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> (60 - 4 * index)) & 0xF
            digits[offset + index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}
