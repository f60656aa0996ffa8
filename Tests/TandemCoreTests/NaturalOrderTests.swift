import Foundation
import Testing
@testable import TandemCore

@Suite struct NaturalOrderTests {
    @Test func numbersInNamesSortByTheirValue() {
        let names = ["k10", "k2", "k1", "k11", "a", "k02", "k", "m-103", "m-20", "b9z", "b10a"]
        let sorted = NaturalOrder.sorted(names.sorted(), context: { _ in "c" }, key: { $0 })
        #expect(sorted == ["a", "b9z", "b10a", "k", "k1", "k02", "k2", "k10", "k11", "m-20", "m-103"])
    }

    @Test func theStoreListsEntriesInNaturalOrder() throws {
        let world = try TestWorld(devices: ["laptop"])
        let store = world["laptop"]
        for key in ["k10", "k2", "k1"] { try store.write(context: "notes", key: key, value: "1") }
        try store.write(context: "app2", key: "x", value: "1")
        try store.write(context: "app10", key: "x", value: "1")
        #expect(try store.entryRows().map { "\($0.context)/\($0.key)" } == ["app2/x", "app10/x", "notes/k1", "notes/k2", "notes/k10"])
        #expect(try store.entries().map { "\($0.context)/\($0.key)" } == ["app2/x", "app10/x", "notes/k1", "notes/k2", "notes/k10"])
    }

    @Test func aValueSearchLooksThroughWholeValues() throws {
        let world = try TestWorld(devices: ["laptop"])
        let store = world["laptop"]
        let padding = String(repeating: "x", count: EntryRow.previewLength + 10)
        try store.write(context: "notes", key: "far", value: #"{"a":"\#(padding)","b":"Needle"}"#)
        try store.write(context: "notes", key: "near", value: #"{"a":"hay"}"#)
        #expect(try store.entryNames(withValueContaining: "needle") == [EntryName(context: "notes", key: "far")])
    }
}

/// The neighbour check (compare in place) and the sort (byte keys) are two
/// readings of one order: they must agree on every pair.
@Suite struct NaturalOrderAgreementTests {
    @Test func theComparisonAndTheSortKeysAgree() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "b", "-", "_", ".", "0", "00", "1", "9", "10", "007", "99", "k", "é", "/"]
        let names = (0..<400).map { _ in (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined() }
        func key(_ name: String) -> [UInt8] {
            var bytes: [UInt8] = []
            NaturalOrder.appendSortKey(of: name, to: &bytes)
            return bytes
        }
        for (a, b) in zip(names, names.shuffled(using: &generator)) {
            let byKeys = key(a) == key(b) ? 0 : key(a).lexicographicallyPrecedes(key(b)) ? -1 : 1
            #expect(NaturalOrder.compare(a, b) == byKeys, "\(a) vs \(b)")
        }
    }
}
