/// A canonical Huffman code for one deflate alphabet (RFC 1951 §3.2.2), no code longer than a limit.
///
/// Built from symbol frequencies once per block; the encoder then looks up one ``entries`` word per symbol.
struct HuffmanCode {
    /// Bits of each symbol's code; 0 for a symbol that does not occur.
    let lengths: [UInt8]
    /// Per symbol: its code with the bits reversed in the low 16 bits (deflate sends a code from its most
    /// significant bit, into a stream filled from each byte's least significant bit), its length above them.
    let entries: [UInt32]

    /// The optimal code for `frequencies` among those no longer than `limit` bits: Huffman's, or, when
    /// its tree is too deep, package-merge's (Larmore and Hirschberg), which is optimal under the limit.
    ///
    /// Fewer than two occurring symbols get a second one, so that every code is complete: inflaters reject
    /// an incomplete code-length code.
    init(frequencies: [UInt32], limit: Int) {
        precondition(frequencies.count >= 2 && frequencies.count <= 512 && limit >= 1 && limit <= 15
                     && frequencies.count <= 1 << limit)
        var weights = frequencies.map(UInt64.init)
        var used = weights.lazy.filter { $0 > 0 }.count
        for symbol in weights.indices where used < 2 && weights[symbol] == 0 {
            weights[symbol] = 1
            used += 1
        }
        // Symbols by weight then number, sorted as plain integers: weight above the 9 bits of the symbol.
        var keys: [UInt64] = []
        keys.reserveCapacity(weights.count)
        for symbol in weights.indices where weights[symbol] > 0 { keys.append(weights[symbol] << 9 | UInt64(symbol)) }
        keys.sort()
        let leaves = keys.map { Int($0 & 511) }
        var lengths = Self.treeDepths(weights, leaves: leaves)
        if lengths.max()! > limit { lengths = Self.packageMerge(weights, leaves: leaves, limit: limit) }
        self.lengths = lengths.map(UInt8.init)
        entries = Self.canonicalEntries(self.lengths)
    }

    /// Bits needed to send every symbol `frequencies[s]` times with this code.
    func cost(of frequencies: [UInt32]) -> Int {
        var bits = 0
        for symbol in frequencies.indices { bits += Int(frequencies[symbol]) * Int(lengths[symbol]) }
        return bits
    }

    /// Depths of the leaves of a Huffman tree over `leaves` (at least two symbols, by weight), 0 elsewhere:
    /// two queues, one of leaves and one of merged nodes, which come out in weight order.
    private static func treeDepths(_ weights: [UInt64], leaves: [Int]) -> [Int] {
        let n = leaves.count
        var nodeWeight = [UInt64](repeating: 0, count: n - 1)
        var nodeParent = [Int](repeating: 0, count: n - 1)
        var leafParent = [Int](repeating: 0, count: n)
        var nextLeaf = 0
        var nextNode = 0
        for node in 0..<(n - 1) {
            for _ in 0..<2 {
                // Ties go to leaves, which keeps the tree shallower.
                if nextLeaf < n && (nextNode >= node || weights[leaves[nextLeaf]] <= nodeWeight[nextNode]) {
                    nodeWeight[node] += weights[leaves[nextLeaf]]
                    leafParent[nextLeaf] = node
                    nextLeaf += 1
                } else {
                    nodeWeight[node] += nodeWeight[nextNode]
                    nodeParent[nextNode] = node
                    nextNode += 1
                }
            }
        }
        // The last node is the root; every node's parent was made after it.
        var nodeDepth = [Int](repeating: 0, count: n - 1)
        for node in stride(from: n - 3, through: 0, by: -1) { nodeDepth[node] = nodeDepth[nodeParent[node]] + 1 }
        var depths = [Int](repeating: 0, count: weights.count)
        for (i, symbol) in leaves.enumerated() { depths[symbol] = nodeDepth[leafParent[i]] + 1 }
        return depths
    }

    /// Code lengths of at most `limit` bits minimising the cost: `limit` rounds, each pairing the previous
    /// round's items into packages and merging them with the leaves by weight; a symbol's length is the
    /// number of times it occurs in the cheapest `2n - 2` items of the last round.
    private static func packageMerge(_ weights: [UInt64], leaves: [Int], limit: Int) -> [Int] {
        struct Item {
            var weight: UInt64
            /// Index into `leaves`, or -1 for a package of items `2 * child` and `2 * child + 1` of the
            /// round before.
            var leaf: Int
            var child: Int
        }
        let n = leaves.count
        let leafItems = leaves.indices.map { Item(weight: weights[leaves[$0]], leaf: $0, child: 0) }
        var rounds = [leafItems]
        for _ in 1..<limit {
            let previous = rounds[rounds.count - 1]
            var merged: [Item] = []
            merged.reserveCapacity(n + previous.count / 2)
            var nextLeaf = 0
            var nextPackage = 0
            while nextLeaf < n || nextPackage < previous.count / 2 {
                let package = nextPackage < previous.count / 2
                    ? previous[2 * nextPackage].weight + previous[2 * nextPackage + 1].weight : UInt64.max
                if nextLeaf < n && leafItems[nextLeaf].weight <= package {
                    merged.append(leafItems[nextLeaf])
                    nextLeaf += 1
                } else {
                    merged.append(Item(weight: package, leaf: -1, child: nextPackage))
                    nextPackage += 1
                }
            }
            rounds.append(merged)
        }
        var depths = [Int](repeating: 0, count: weights.count)
        // Walk the chosen items down through their packages, a round at a time.
        var chosen = Array(rounds[limit - 1].prefix(2 * n - 2))
        for round in stride(from: limit - 1, through: 0, by: -1) {
            var packed: [Item] = []
            for item in chosen {
                if item.leaf >= 0 {
                    depths[leaves[item.leaf]] += 1
                } else {
                    packed.append(rounds[round - 1][2 * item.child])
                    packed.append(rounds[round - 1][2 * item.child + 1])
                }
            }
            chosen = packed
        }
        return depths
    }

    private static func canonicalEntries(_ lengths: [UInt8]) -> [UInt32] {
        var countOfLength = [Int](repeating: 0, count: 16)
        for length in lengths where length > 0 { countOfLength[Int(length)] += 1 }
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1...15 {
            code = (code + countOfLength[bits - 1]) << 1
            nextCode[bits] = code
        }
        var entries = [UInt32](repeating: 0, count: lengths.count)
        for symbol in lengths.indices where lengths[symbol] > 0 {
            let length = Int(lengths[symbol])
            var reversed = 0
            var value = nextCode[length]
            for _ in 0..<length {
                reversed = reversed << 1 | value & 1
                value >>= 1
            }
            nextCode[length] += 1
            entries[symbol] = UInt32(reversed) | UInt32(length) << 16
        }
        return entries
    }
}
