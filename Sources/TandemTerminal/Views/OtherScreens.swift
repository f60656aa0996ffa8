import TandemCore

/// A plain list of entries (the outgoing screen).
struct ListScreen {
    var theme: Theme
    var empty: String

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        let rows = state.rows
        ListDrawing.title(&grid, ListDrawing.heading(state.screen.title, count: rows.count, state), x: 1, y: rect.y, width: rect.width - 2, style: theme.title)
        if rows.isEmpty { grid.put(state.filter.isEmpty ? empty : "none match (Esc clears the filter)", x: 1, y: rect.y + 2, style: theme.dim) }
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: rect.width, height: rect.height - 1), count: rows.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            let entry = rows[index]
            let used = grid.put("\(entry.state.mark) \(entry.context)/\(entry.key)", x: 1, y: y, maxWidth: rect.width / 2,
                                style: selected ? theme.selected : theme.mark(entry.state))
            grid.put(entry.preview ?? "(deleted)", x: used + 3, y: y, maxWidth: rect.width - used - 4, style: selected ? theme.selected : theme.dim)
        }
    }
}

/// Every device of the vault: online or not, last seen, what it pushed and
/// applied, how far behind it is; in the demo, what each is doing.
struct DevicesScreen {
    var theme: Theme
    /// A device that synced within this long counts as online.
    static let onlineWindowMillis: Int64 = 60_000

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        guard let snapshot = state.snapshot else { return }
        let devices = snapshot.devices
        let damaged = snapshot.damagedRecords
        let gone = snapshot.retiredWithoutRecords
        ListDrawing.title(&grid, "Devices (\(devices.count + gone.count))" + (damaged.isEmpty ? "" : " · \(damaged.count) damaged record\(damaged.count == 1 ? "" : "s")")
                          + (snapshot.retired.isEmpty ? "" : " · \(snapshot.retired.count) retired"),
                          x: 1, y: rect.y, width: rect.width - 2, style: theme.title)
        let last = snapshot.demo == nil ? "APPLIED (device:segment)" : "DOING"
        grid.put(pad("NAME", 18) + pad("STATUS", 10) + pad("LAST SEEN", 12) + pad("PUSHED", 8) + pad("BEHIND", 9) + last,
                 x: 1, y: rect.y + 1, style: theme.dim)
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 2, width: rect.width, height: rect.height - 2), count: devices.count + damaged.count + gone.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            if let entry = gone[safe: index - devices.count - damaged.count] {
                grid.put(pad(entry.device.name, 18) + pad("retired", 10) + "by \(entry.by) \(snapshot.age(entry.device.atMillis)); "
                         + "its log and record are gone, what it held is in \(entry.by)'s log",
                         x: 1, y: y, maxWidth: rect.width - 2, style: selected ? theme.selected : theme.dim)
                return
            }
            guard let device = devices[safe: index] else {
                // Its name is in the file that does not open: the id is all there is.
                let record = damaged[index - devices.count]
                grid.put(pad(record.device?.rawValue ?? "?", 18) + "damaged record: " + record.reason, x: 1, y: y, maxWidth: rect.width - 2,
                         style: selected ? theme.selected : theme.mark(.conflict))
                return
            }
            let replaced = snapshot.isReplaced(device)
            let live = devices.filter { !snapshot.isReplaced($0) }
            let behind = live.filter { $0.id != device.id }.reduce(UInt64(0)) { total, other in
                total + (other.pushedSeq - min(other.pushedSeq, device.applied[other.id.rawValue] ?? 0))
            }
            let seen = device.lastSyncMillis.map { snapshot.age($0) } ?? "never"
            let name = device.id == snapshot.deviceID ? "\(snapshot.name(device.id)) (this)" : snapshot.name(device.id)
            let hole = snapshot.gaps.contains { $0.device == device.id && $0.isHole }
            let retirement = snapshot.retiredEntry(device.id)
            let status = retirement != nil ? "retired" : replaced ? "replaced" : hole ? "hole" : self.status(device, snapshot) ? "online" : "offline"
            var line = pad(name, 18) + pad(status, 10) + pad(seen, 12) + pad(String(device.pushedSeq), 8)
                + pad(replaced ? "–" : "\(behind) seg", 9)
            if let demo = snapshot.demo {
                line += retirement.map { "retired by \($0.by); its log is folded into \($0.by)'s, then removed" }
                    ?? (replaced ? "an earlier installation; it is retired once the new one has restored" : demo.device(device.name)?.lastAction ?? "")
            } else {
                line += device.applied.sorted { $0.key < $1.key }
                    .map { "\(snapshot.name(DeviceID(validating: $0.key) ?? device.id)):\($0.value)" }.joined(separator: " ")
            }
            let style = selected ? theme.selected : replaced ? theme.dim : status == "online" ? Style.plain : theme.mark(.conflict)
            grid.put(line, x: 1, y: y, maxWidth: rect.width - 2, style: style)
        }
        guard rect.height > devices.count + damaged.count + gone.count + 7 else { return }
        if let record = damaged[safe: state.selectedIndex - devices.count] {
            let lines: [(String, Style)] = [
                (record.description, theme.title),
                ("the record does not open or decode; its device's segments still sync, and the device's next sync, if it still syncs, rewrites it", theme.dim),
            ]
            ListDrawing.text(&grid, lines, x: 1, y: rect.y + rect.height - lines.count, width: rect.width - 2, height: lines.count)
            return
        }
        guard let device = devices[safe: state.selectedIndex] else { return }
        let applied = device.applied.sorted { $0.key < $1.key }
            .map { "\(snapshot.name(DeviceID(validating: $0.key) ?? device.id)):\($0.value)" }.joined(separator: "  ")
        var lines: [(String, Style)] = [
            ("\(device.name) · id \(device.id) · created \(device.created)" + (device.replaces.map { " · replaces \($0)" } ?? "")
                + (device.copiedFrom.map { " · a copy of \(snapshot.name($0))'s store" } ?? ""), theme.title),
            ("applied (device:segment): " + (applied.isEmpty ? "nothing yet" : applied), .plain),
        ]
        for gap in snapshot.gaps where gap.device == device.id {
            lines.append(("waiting: " + gap.description, gap.isHole ? theme.mark(.conflict) : theme.dim))
        }
        if snapshot.demo != nil {
            lines.append(("o takes it offline or online · I reinstalls it · Enter views it", theme.dim))
        }
        ListDrawing.text(&grid, lines, x: 1, y: rect.y + rect.height - lines.count, width: rect.width - 2, height: lines.count)
    }

    /// This device: whether it reaches the vault. In the demo: whether its
    /// link is up. Otherwise: whether it synced within the last minute.
    private func status(_ device: DeviceRecord, _ snapshot: Snapshot) -> Bool {
        if device.id == snapshot.deviceID { return snapshot.online }
        if let demo = snapshot.demo?.device(device.name) { return demo.online }
        return device.lastSyncMillis.map { snapshot.nowMillis - $0 <= Self.onlineWindowMillis } ?? false
    }
}

/// What sync and decisions did, newest first.
struct LogScreen {
    var theme: Theme

    func draw(_ grid: inout Grid, _ rect: Rect, _ state: AppState) {
        guard let snapshot = state.snapshot else { return }
        let events = state.events
        ListDrawing.title(&grid, ListDrawing.heading("Log", count: events.count, state), x: 1, y: rect.y, width: rect.width - 2, style: theme.title)
        ListDrawing.draw(&grid, Rect(x: 0, y: rect.y + 1, width: rect.width, height: rect.height - 1), count: events.count,
                         selected: state.selectedIndex, selectedStyle: theme.selected) { grid, index, y, selected in
            let event = events[index]
            let used = grid.put(pad(snapshot.age(event.atMillis), 12), x: 1, y: y, style: selected ? theme.selected : theme.dim)
            // Device ids read as the names of the devices.
            grid.put(snapshot.readable(event.message), x: used + 2, y: y, maxWidth: rect.width - used - 3,
                     style: selected ? theme.selected : event.level == "info" ? .plain : theme.mark(.conflict))
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    let columns = CellWidth.of(text)
    return columns >= width ? text + " " : text + String(repeating: " ", count: width - columns)
}
