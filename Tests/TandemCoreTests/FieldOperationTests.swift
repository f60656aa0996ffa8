import Foundation
import Testing
@testable import TandemCore

@Suite struct FieldOperationTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    func apply(_ operation: FieldOperation, to text: String) throws -> String {
        try operation.apply(to: try parse(text)).canonicalText
    }

    @Test func eachOperationChangesOneField() throws {
        #expect(try apply(.add(path: "/tags", value: .array([])), to: #"{"a":1}"#) == #"{"a":1,"tags":[]}"#)
        #expect(try apply(.add(path: "/a", value: .number("2")), to: #"{"a":1}"#) == #"{"a":2}"#)
        #expect(try apply(.remove(path: "/a"), to: #"{"a":1,"b":2}"#) == #"{"b":2}"#)
        #expect(try apply(.rename(from: "/name", to: "/fullName"), to: #"{"name":"Al"}"#) == #"{"fullName":"Al"}"#)
        #expect(try apply(.setDefault(path: "/age", value: .number("0")), to: #"{"age":7}"#) == #"{"age":7}"#)
        #expect(try apply(.setDefault(path: "/age", value: .number("0")), to: #"{}"#) == #"{"age":0}"#)
    }

    @Test func nestedPathsAndEscapedTokens() throws {
        #expect(try apply(.rename(from: "/address/town", to: "/address/city"), to: #"{"address":{"town":"Oslo"}}"#) == #"{"address":{"city":"Oslo"}}"#)
        #expect(try apply(.add(path: "/a~1b", value: .bool(true)), to: #"{}"#) == #"{"a/b":true}"#)
    }

    /// Some entries lack optional fields; a migration must not fail on them.
    @Test func absentFieldsAreLeftAlone() throws {
        #expect(try apply(.remove(path: "/gone"), to: #"{"a":1}"#) == #"{"a":1}"#)
        #expect(try apply(.rename(from: "/gone", to: "/b"), to: #"{"a":1}"#) == #"{"a":1}"#)
    }

    @Test func aValueThatIsNotAnObjectIsAnError() throws {
        #expect(throws: FieldOperationError.self) { try apply(.add(path: "/a", value: .null), to: #""text""#) }
        #expect(throws: FieldOperationError.self) { try apply(.add(path: "/x/y", value: .null), to: #"{"x":3}"#) }
        #expect(throws: FieldOperationError.self) { try apply(.add(path: "x", value: .null), to: #"{}"#) }
    }

    @Test func operationsRoundTripThroughTheirJSON() throws {
        let operations: [FieldOperation] = [.add(path: "/a", value: .number("1")), .remove(path: "/b"),
                                            .rename(from: "/c", to: "/d"), .setDefault(path: "/e", value: .string("x"))]
        for operation in operations {
            #expect(try FieldOperation(json: operation.json) == operation)
        }
    }

    @Test func anUnknownOpIsNamed() throws {
        let error = #expect(throws: FieldOperationError.self) { try FieldOperation(json: try parse(#"{"op":"copy","path":"/a"}"#)) }
        #expect(error?.description.contains("unknown op 'copy'") == true)
    }
}

@Suite struct MigrationsFileTests {
    func load(_ text: String) throws(TandemError) -> MigrationsFile {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw .invalidJSON(reason: error.description) }
        return try MigrationsFile(json: json, path: "friends.json")
    }

    @Test func aFileLeadsToItsHighestVersion() throws {
        let file = try load("""
            {"context": "friends", "migrations": [
              {"from": 2, "to": 3, "operations": [{"op": "default", "path": "/tags", "value": []}]},
              {"from": 1, "to": 2, "operations": [{"op": "rename", "from": "/name", "path": "/fullName"}]}]}
            """)
        #expect(file.context == "friends")
        #expect(file.target == 3)
        #expect(file.steps.map(\.from) == [1, 2])
    }

    @Test(arguments: [
        (#"[]"#, "must hold an object"),
        (#"{"context": "Bad Name", "migrations": []}"#, "\"context\""),
        (#"{"context": "f", "migrations": []}"#, "non-empty"),
        (#"{"context": "f", "migrations": [{"from": 2, "to": 1, "operations": []}]}"#, "greater than"),
        (#"{"context": "f", "migrations": [{"from": 1, "to": 2, "operations": [{"op": "copy", "path": "/a"}]}]}"#, "unknown op 'copy'"),
        (#"{"context": "f", "migrations": [{"from": 1, "to": 2, "operations": []}, {"from": 3, "to": 4, "operations": []}]}"#, "gap"),
        (#"{"context": "f", "migrations": [{"from": 1, "to": 2, "operations": [{"op": "add", "path": "/a"}]}]}"#, "'value' is missing"),
    ])
    func aBadFileIsRefusedWithItsNameAndWhy(text: String, reason: String) throws {
        let error = #expect(throws: TandemError.self) { try load(text) }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("friends.json: invalid migrations file"), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }
}
