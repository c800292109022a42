/// A small tree of facts for `heapconv info`: rendered as indented text for people and as JSON for scripts.
///
/// Object keys keep their insertion order so both renderings are deterministic.
public indirect enum InfoValue: Equatable, Sendable {
    case int(Int64)
    case uint(UInt64)
    case string(String)
    case bool(Bool)
    case object([(String, InfoValue)])
    case array([InfoValue])

    public static func == (a: InfoValue, b: InfoValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): x == y
        case (.uint(let x), .uint(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The value under `key` of an object, or `nil`.
    public subscript(key: String) -> InfoValue? {
        guard case .object(let entries) = self else { return nil }
        return entries.first(where: { $0.0 == key })?.1
    }

    /// Compact JSON, keys in insertion order.
    public var json: String {
        switch self {
        case .int(let v): String(v)
        case .uint(let v): String(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let s): Self.quote(s)
        case .array(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let entries): "{" + entries.map { Self.quote($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
        }
    }

    /// Indented `key: value` text for a terminal.
    public func text(indent: Int = 0) -> String {
        var out = ""
        render(into: &out, indent: indent)
        return out
    }

    private func render(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .object(let entries):
            for (key, value) in entries {
                switch value {
                case .object(let inner) where !inner.isEmpty:
                    out += pad + key + ":\n"
                    value.render(into: &out, indent: indent + 2)
                case .array(let items) where items.contains(where: { if case .object = $0 { true } else { false } }):
                    out += pad + key + ":\n"
                    for item in items {
                        var inner = ""
                        item.render(into: &inner, indent: indent + 4)
                        // The first line of each item sits on its "- " line.
                        out += pad + "  - " + inner.dropFirst(indent + 4)
                    }
                default:
                    out += pad + key + ": " + value.scalarText + "\n"
                }
            }
        default:
            out += pad + scalarText + "\n"
        }
    }

    private var scalarText: String {
        switch self {
        case .int(let v): String(v)
        case .uint(let v): String(v)
        case .bool(let v): v ? "yes" : "no"
        case .string(let s): s
        case .array(let items): items.map(\.scalarText).joined(separator: ", ")
        case .object(let entries): entries.isEmpty ? "(none)" : json
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
