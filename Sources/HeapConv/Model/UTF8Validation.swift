/// Whether bytes are well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
/// the strings of context records must be, so that every text output is valid. Readers check the strings
/// they take from files; the `.etl` reader makes its own valid (U+FFFD for what it cannot decode).
enum UTF8Validation {
    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
