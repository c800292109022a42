/// Opcodes and payloads of the StackWalk group (hook group 0x18; FORMAT.md §6).
enum StackWalk {
    static let group: UInt8 = 0x18

    /// Frames inline: `u64 EventTimeStamp, u32 StackProcess, u32 StackThread, frames…`.
    static let stack: UInt8 = 0x20
    /// Key definitions: `StackKey, frames…`.
    static let keyCreate: UInt8 = 0x22
    static let keyDelete: UInt8 = 0x23
    static let keyRundown: UInt8 = 0x24
    /// Key references: `u64 EventTimeStamp, u32 Process, u32 Thread, StackKey`.
    static let stackKeyKernel: UInt8 = 0x25
    static let stackKeyUser: UInt8 = 0x26

    static func name(_ opcode: UInt8) -> String {
        switch opcode {
        case 0x20: "Stack"
        case 0x22: "KeyCreate"
        case 0x23: "KeyDelete"
        case 0x24: "KeyRundown"
        case 0x25: "StackKeyKernel"
        case 0x26: "StackKeyUser"
        default: "opcode \(opcode)"
        }
    }

    /// Whether `opcode` attaches frames to an event (a Stack or a key reference).
    @inline(__always)
    static func isFragment(_ opcode: UInt8) -> Bool {
        opcode == stack || opcode == stackKeyKernel || opcode == stackKeyUser
    }

    /// Whether `opcode` defines a stack key.
    @inline(__always)
    static func isDefinition(_ opcode: UInt8) -> Bool {
        opcode >= keyCreate && opcode <= keyRundown
    }

    /// Whether `address` lies in kernel space for a stack of `width`-byte frames.
    @inline(__always)
    static func isKernelAddress(_ address: UInt64, width: Int) -> Bool {
        width == 8 ? address >= 0xFFFF_8000_0000_0000 : address >= 0x8000_0000
    }

    /// Why a StackWalk payload cannot be decoded.
    struct Problem: Error {
        var message: String
    }

    /// The part of an event's stack a fragment holds.
    enum Part {
        /// Kernel frames; the user part may follow in a later record.
        case kernel
        /// User frames (or kernel frames followed by user frames): the last fragment an event gets.
        case user
    }

    /// Target and frames of a Stack record (`payload` of `width`-byte frames).
    static func decodeStack(_ payload: ByteView, width: Int) throws(Problem) -> (eventTicks: Int64, thread: UInt32, frames: ByteView, part: Part) {
        guard payload.count >= 16 else {
            throw Problem(message: "StackWalk Stack payload of \(payload.count) bytes is shorter than its 16-byte header")
        }
        let count = (payload.count - 16) / width
        let frames = payload.slice(16, count * width)!
        // A stack whose first frame is a user address was walked in user mode, or holds kernel then user
        // frames when its last frame is a user address: either way nothing follows it.
        let part: Part
        if count == 0 || !isKernelAddress(frames.pointer(0, width: width), width: width)
            || !isKernelAddress(frames.pointer((count - 1) * width, width: width), width: width) {
            part = .user
        } else {
            part = .kernel
        }
        return (payload.i64(0), payload.u32(12), frames, part)
    }

    /// Target and key of a StackKeyKernel/StackKeyUser record.
    static func decodeKeyReference(_ payload: ByteView, width: Int, opcode: UInt8) throws(Problem) -> (eventTicks: Int64, thread: UInt32, key: UInt64) {
        guard payload.count >= 16 + width else {
            throw Problem(message: "StackWalk \(name(opcode)) payload of \(payload.count) bytes is shorter than the \(16 + width) bytes of its \(width * 8)-bit layout")
        }
        return (payload.i64(0), payload.u32(12), payload.pointer(16, width: width))
    }

    /// Key and frames of a KeyCreate/KeyDelete/KeyRundown record.
    static func decodeDefinition(_ payload: ByteView, width: Int, opcode: UInt8) throws(Problem) -> (key: UInt64, frames: ByteView) {
        guard payload.count >= width else {
            throw Problem(message: "StackWalk \(name(opcode)) payload of \(payload.count) bytes is shorter than its \(width)-byte key")
        }
        let count = (payload.count - width) / width
        return (payload.pointer(0, width: width), payload.slice(width, count * width)!)
    }
}

/// The frames of a Stack record, read from its buffer: `width`-byte addresses, zero-extended.
struct InlineFrames: RandomAccessCollection {
    let bytes: ByteView
    let width: Int

    var startIndex: Int { 0 }
    var endIndex: Int { bytes.count / width }

    subscript(position: Int) -> UInt64 { bytes.pointer(position * width, width: width) }
}
