import CICU

/// The few ICU services the account identifiers need (Debian's libicu, through the CICU target),
/// on Swift strings. ICU's data, not the Swift runtime's, is the one Unicode version used for
/// every rule here, so case folding, normalisation, properties and confusables always agree.
enum ICU {
    /// Unicode full case folding: `ß` → `ss`, `ſ` → `s`, `ς` → `σ`.
    static func foldCase(_ text: String) throws -> String {
        try self.transform(text, authicu_fold_case)
    }

    static func nfc(_ text: String) throws -> String {
        try self.transform(text, authicu_nfc)
    }

    static func nfkc(_ text: String) throws -> String {
        try self.transform(text, authicu_nfkc)
    }

    /// The UTS #39 confusable skeleton: two strings that look alike have the same one.
    static func skeleton(_ text: String) throws -> String {
        try self.transform(text, authicu_skeleton)
    }

    /// Whether UTS #39 refuses the string: more than the "highly restrictive" mix of scripts,
    /// digits of several numbering systems, or invisible repeated combining marks.
    static func failsSpoofChecks(_ text: String) -> Bool {
        let units = Array(text.utf16)
        var status: Int32 = 0
        let failures = units.withUnsafeBufferPointer { authicu_spoof_failures($0.baseAddress, Int32($0.count), &status) }
        // A checker that cannot run refuses: a name is never let through unchecked.
        return status > 0 || failures != 0
    }

    /// UTS #46 ToASCII of a domain (`Bücher.DE` → `xn--bcher-kva.de`); `nil` when it is not a valid name.
    static func domainToASCII(_ domain: String) -> String? {
        let input = Array(domain.utf8)
        var capacity = max(64, input.count * 4)
        for _ in 0..<2 {
            var output = [CChar](repeating: 0, count: capacity)
            var errors: UInt32 = 0
            var status: Int32 = 0
            let written = input.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) {
                    authicu_domain_to_ascii($0.baseAddress, Int32($0.count), &output, Int32(capacity), &errors, &status)
                }
            }
            if status == Self.bufferOverflow {
                capacity = Int(written) + 1
                continue
            }
            guard status <= 0, errors == 0 else { return nil }
            return String(decoding: output.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }

    /// The code point's Decomposition_Mapping (one level), or `nil` when it has none.
    static func decompositionMapping(_ scalar: Unicode.Scalar) -> String? {
        var buffer = [UInt16](repeating: 0, count: 32)
        var status: Int32 = 0
        let written = authicu_decomposition_mapping(Int32(scalar.value), &buffer, Int32(buffer.count), &status)
        guard status <= 0, written >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(written)), as: UTF16.self)
    }

    static func category(_ scalar: Unicode.Scalar) -> AuthICUCategory { authicu_category(Int32(scalar.value)) }
    static func bidiClass(_ scalar: Unicode.Scalar) -> AuthICUBidi { authicu_bidi_class(Int32(scalar.value)) }
    static func joiningType(_ scalar: Unicode.Scalar) -> AuthICUJoining { authicu_joining_type(Int32(scalar.value)) }
    static func script(_ scalar: Unicode.Scalar) -> AuthICUScript { authicu_script(Int32(scalar.value)) }
    static func combiningClass(_ scalar: Unicode.Scalar) -> Int32 { authicu_combining_class(Int32(scalar.value)) }
    static func isWidthForm(_ scalar: Unicode.Scalar) -> Bool { authicu_is_width_form(Int32(scalar.value)) != 0 }
    static func isConjoiningJamo(_ scalar: Unicode.Scalar) -> Bool { authicu_is_conjoining_jamo(Int32(scalar.value)) != 0 }
    static func isDefaultIgnorable(_ scalar: Unicode.Scalar) -> Bool { authicu_is_default_ignorable(Int32(scalar.value)) != 0 }
    static func isNoncharacter(_ scalar: Unicode.Scalar) -> Bool { authicu_is_noncharacter(Int32(scalar.value)) != 0 }
    static func isJoinControl(_ scalar: Unicode.Scalar) -> Bool { authicu_is_join_control(Int32(scalar.value)) != 0 }
    static func isSoftDotted(_ scalar: Unicode.Scalar) -> Bool { authicu_is_soft_dotted(Int32(scalar.value)) != 0 }

    /// ICU's U_BUFFER_OVERFLOW_ERROR.
    private static let bufferOverflow: Int32 = 15

    private typealias UTF16Transform = (
        UnsafePointer<UInt16>?, Int32, UnsafeMutablePointer<UInt16>?, Int32, UnsafeMutablePointer<Int32>?
    ) -> Int32

    /// Runs a UTF-16 → UTF-16 ICU function, growing the buffer once if ICU asks for more.
    private static func transform(_ text: String, _ function: UTF16Transform) throws -> String {
        let input = Array(text.utf16)
        var capacity = max(16, input.count * 3)
        for _ in 0..<2 {
            var output = [UInt16](repeating: 0, count: capacity)
            var status: Int32 = 0
            let written = input.withUnsafeBufferPointer { function($0.baseAddress, Int32($0.count), &output, Int32(capacity), &status) }
            if status == Self.bufferOverflow {
                capacity = Int(written) + 1
                continue
            }
            // Swift strings are valid Unicode, so this means a broken installation (no ICU data).
            guard status <= 0 else { throw ICUError(status: status) }
            return String(decoding: output.prefix(Int(written)), as: UTF16.self)
        }
        throw ICUError(status: Self.bufferOverflow)
    }
}

/// ICU could not run (missing data, out of memory): an installation fault, never the input's.
struct ICUError: Error, CustomStringConvertible {
    var status: Int32
    var description: String { "ICU failed with UErrorCode \(self.status)" }
}
