/// How long ago a moment was, as people say it in a list: "12s ago",
/// "3 min ago", "2 h ago", "4 d ago". Shared by the CLI and the UI so both
/// say it alike.
public enum RelativeTime {
    public static func ago(_ millis: Int64, now: Int64) -> String {
        let seconds = max(0, (now - millis) / 1000)
        switch seconds {
        case ..<60: return "\(seconds)s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) d ago"
        }
    }
}
