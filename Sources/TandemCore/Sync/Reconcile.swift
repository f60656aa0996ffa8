import Foundation
import Logging

/// Reconciling: what the policies allow is applied, and the app's handlers
/// are asked about the changes of their contexts.
extension Synchronizer {
    func reconcile(policies: PolicyMap, report: inout SyncReport) throws(TandemError) {
        report.applied += try store.settlePending(policies: policies)
    }

    /// Calls the handlers for each change waiting in a `handlers` context, in
    /// the order the changes arrived. Returns false when one failed.
    func runHandlers(_ handlers: [String: ContextHandlers], policies: PolicyMap, report: inout SyncReport) async throws(TandemError) -> Bool {
        let contexts = handlers.keys.filter { policies[$0] == .handlers }
        guard !contexts.isEmpty else { return true }
        for pending in try store.handlerQueue(contexts: Array(contexts)) {
            guard let handlers = handlers[pending.context] else { continue }
            let result: HandlerResult
            do {
                result = try await handlers.handler(for: pending.kind)(pending)
            } catch {
                result = .failure(String(describing: error))
            }
            switch result {
            case .applied:
                try store.recordHandlerResult(context: pending.context, key: pending.key, expected: pending.version, applied: true)
                report.applied += 1
            case .refused:
                try store.recordHandlerResult(context: pending.context, key: pending.key, expected: pending.version, applied: false)
                report.refused += 1
            case .failure(let reason):
                report.stoppedAt = .init(context: pending.context, key: pending.key, reason: reason)
                let message = TandemError.handlerFailed(context: pending.context, key: pending.key, reason: reason).description
                logger.warning("\(message); the next sync retries it first")
                try store.log(message, level: "warning")
                return false
            }
        }
        return true
    }
}
