import Testing
@testable import TandemCore

private let a = DeviceID(validating: "000000000000000a")!
private let b = DeviceID(validating: "000000000000000b")!
private let c = DeviceID(validating: "000000000000000c")!

@Suite struct VersionVectorTests {
    @Test func comparesAllFourWays() {
        let base: VersionVector = [a: 1, b: 2]
        #expect(base.compare(to: [a: 1, b: 2]) == .equal)
        #expect(base.compare(to: [a: 1, b: 1]) == .dominates)
        #expect(base.compare(to: [a: 1, b: 2, c: 1]) == .dominated)
        #expect(base.compare(to: [a: 2, b: 1]) == .concurrent)
        #expect(VersionVector().compare(to: [a: 1]) == .dominated)
    }

    @Test func mergeIsTheLeastUpperBound() {
        let merged = VersionVector([a: 3, b: 1]).merged(with: [b: 4, c: 2])
        #expect(merged == [a: 3, b: 4, c: 2])
        #expect(merged.includes([a: 3, b: 1]))
        #expect(merged.includes([b: 4, c: 2]))
    }

    @Test func compactTextRoundTrips() {
        let vector: VersionVector = [b: 7, a: 12]
        #expect(vector.compactText == "000000000000000a:12,000000000000000b:7")
        #expect(VersionVector(compactText: vector.compactText) == vector)
        #expect(VersionVector(compactText: "nonsense") == nil)
        #expect(VersionVector(compactText: "") == VersionVector())
    }

    @Test(arguments: ["000000000000000a", "000000000000000a:", "000000000000000a:1,", ",", "000000000000000a:1,,000000000000000b:2",
                      "000000000000000a:1x", "000000000000000a:-1", "000000000000000A:1", "00000000000000a:1", "000000000000000a:1:2",
                      "000000000000000a:18446744073709551616", "000000000000000a:99999999999999999999"])
    func compactTextRejectsWhatItNeverWrites(_ text: String) {
        #expect(VersionVector(compactText: text) == nil)
    }

    @Test func compactTextReadsEveryCounterUpToTheLargest() {
        let d = DeviceID(validating: "0123456789abcdef")!
        #expect(VersionVector(compactText: "000000000000000a:0,0123456789abcdef:18446744073709551615") == [d: .max])
        #expect(VersionVector(compactText: "000000000000000a:3,000000000000000b:40,0123456789abcdef:500") == [a: 3, b: 40, d: 500])
    }

    @Test func deviceIDsAreValidatedSoTheyCannotNamePaths() {
        #expect(DeviceID(validating: "../../etc/passwd") == nil)
        #expect(DeviceID(validating: "000000000000000A") == nil)
        #expect(DeviceID(validating: "00000000000000a") == nil)
        #expect(DeviceID.random().rawValue.count == 16)
    }
}

@Suite struct HybridLogicalClockTests {
    @Test func movesForwardWhenTheWallClockGoesBack() {
        var clock = HybridLogicalClock()
        let first = clock.tick(now: 1000)
        let second = clock.tick(now: 500)
        let third = clock.tick(now: 500)
        #expect(first < second && second < third)
        #expect(second.wallMillis == 1000)
    }

    @Test func orderAfterEverythingReceived() {
        var clock = HybridLogicalClock()
        _ = clock.tick(now: 100)
        let remote = HLCTimestamp(wallMillis: 5000, counter: 3)
        clock.receive(remote, now: 200)
        let next = clock.tick(now: 300)
        #expect(next > remote)
    }
}

@Suite struct WinnerTests {
    private func version(_ value: String?, _ vector: VersionVector, wall: Int64, origin: DeviceID) -> EntryVersion {
        EntryVersion(value: value, vector: vector, timestamp: HLCTimestamp(wallMillis: wall), origin: origin)
    }

    @Test func liveBeatsDeletionThenLaterTimeThenGreaterDevice() {
        let deletion = version(nil, [a: 1], wall: 900, origin: a)
        let live = version("1", [b: 1], wall: 100, origin: b)
        #expect([deletion, live].deterministicWinner == live)
        let early = version("1", [a: 1], wall: 100, origin: c)
        let late = version("2", [b: 1], wall: 200, origin: a)
        #expect([early, late].deterministicWinner == late)
        let tieA = version("1", [a: 1], wall: 100, origin: a)
        let tieB = version("2", [b: 1], wall: 100, origin: b)
        #expect([tieA, tieB].deterministicWinner == tieB)
        #expect([tieB, tieA].deterministicWinner == tieB)
    }

    @Test func frontierKeepsOnlyConcurrentVersions() {
        var frontier = Frontier()
        frontier.add(version("1", [a: 1], wall: 1, origin: a))
        frontier.add(version("2", [a: 1, b: 1], wall: 2, origin: b))
        #expect(frontier.versions.count == 1)
        let addedAgain = frontier.add(version("1", [a: 1], wall: 1, origin: a))
        #expect(!addedAgain)
        frontier.add(version("3", [a: 2], wall: 3, origin: a))
        #expect(frontier.versions.count == 2)
        #expect(frontier.head?.value == "3")
        frontier.add(version("4", [a: 2, b: 1, c: 1], wall: 4, origin: c))
        #expect(frontier.versions.map(\.value) == ["4"])
    }

    @Test func statesFollowTheTableOfTheDesign() {
        let mine = version("1", [a: 1], wall: 1, origin: a)
        let theirs = version("2", [a: 1, b: 1], wall: 2, origin: b)
        let rival = version("3", [a: 2], wall: 3, origin: a)
        #expect(EntryViews(local: mine, frontier: Frontier([mine])).state == .inSync)
        #expect(EntryViews(local: mine, frontier: Frontier()).state == .outgoing)
        #expect(EntryViews(local: mine, frontier: Frontier([theirs])).state == .incoming)
        #expect(EntryViews(local: mine, frontier: Frontier([theirs])).incomingKind == .edit)
        #expect(EntryViews(local: nil, frontier: Frontier([theirs])).incomingKind == .insert)
        #expect(EntryViews(local: rival, frontier: Frontier([theirs])).state == .conflict)
        #expect(EntryViews(local: mine, frontier: Frontier([theirs]), refused: theirs.vector).state == .refused)
        let sameAsRival = version("3", [a: 1, b: 1], wall: 4, origin: b)
        #expect(EntryViews(local: rival, frontier: Frontier([sameAsRival])).state == .inSync)
    }

    /// Found by the convergence property (seed 10): local was an old version
    /// that a vault deletion had seen; its later timestamp let it beat a live
    /// vault version, and devices disagreed.
    @Test func localThatAVaultVersionHasSeenIsOutOfTheRace() {
        let old = version("old", [a: 1], wall: 900, origin: a)
        let deletion = version(nil, [a: 2], wall: 950, origin: a)
        let rival = version("rival", [b: 1], wall: 100, origin: b)
        let views = EntryViews(local: old, frontier: Frontier([deletion, rival]))
        #expect(views.state == .conflict)
        #expect(views.conflictWinner == rival)
    }
}
