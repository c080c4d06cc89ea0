import Foundation
import TesseraCore
import TesseraMint
import TesseraSite

/// Link pages with QR codes written per second for many invitations, beside writing tokens only, and pages with
/// their slides (`--slide`: slide.svg and slide.png as well), in the same run and folder.
struct PagesBenchmark {
    let count: Int
    let rounds: Int

    func run() throws -> [String] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-pages-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = try Settings.parse("base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join\"\n")
        let minter = Minter(key: SigningKey())
        let terms = InvitationTerms(project: "talk-2026", role: "viewer", label: "PyData talk, room 2")

        var tokenRates: [Double] = [], pageRates: [Double] = [], createRates: [Double] = [], slideRates: [Double] = []
        var slideBytes = 0
        for round in 0..<rounds {
            // The physical reference: plain file creations (create, write 1 KiB, close) on the same disk.
            let raw = root.appendingPathComponent("raw-\(round)").path
            try FileSystem.makeDirectory(raw)
            let kilobyte = [UInt8](repeating: 0x61, count: 1024)
            var start = Measure.now()
            for index in 0..<count {
                try FileSystem.createExclusive(FileSystem.join(raw, "f\(index)"), contents: kilobyte, mode: 0o644, durable: false)
            }
            FileSystem.flushAll()
            createRates.append(Double(count) / (Double(Measure.now() - start) / 1e9))

            let tokensSite = SiteFolder(root: root.appendingPathComponent("tokens-\(round)").path)
            let pagesSite = SiteFolder(root: root.appendingPathComponent("pages-\(round)").path)
            let publisher = SitePublisher(site: pagesSite, renderer: try SiteRenderer(settings: settings))

            start = Measure.now()
            for _ in 0..<count {
                let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: .now)
                let folder = tokensSite.invitationFolder(invitation.id)
                try FileSystem.makeDirectory(folder)
                try FileSystem.writeAtomically(FileSystem.join(folder, "token"), contents: Array((minter.mint(invitation) + "\n").utf8), durable: false)
            }
            FileSystem.flushAll()
            tokenRates.append(Double(count) / (Double(Measure.now() - start) / 1e9))

            // As `tessera mint --count` does it: signed in order, pages written on every core.
            start = Measure.now()
            let batch = (0..<count).map { _ in
                let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: .now)
                return (invitation, minter.mint(invitation))
            }
            _ = try Batch.run(count) { (index) throws(FileError) in try publisher.publish(batch[index].0, token: batch[index].1) }
            try publisher.publishIndexes()
            FileSystem.flushAll()
            pageRates.append(Double(count) / (Double(Measure.now() - start) / 1e9))

            // The same with `--slide`: two more files a page, and the slide drawn and PNG-encoded.
            let slidesSite = SiteFolder(root: root.appendingPathComponent("slides-\(round)").path)
            let slidePublisher = SitePublisher(site: slidesSite, renderer: try SiteRenderer(settings: settings))
            start = Measure.now()
            let slideBatch = (0..<count).map { _ in
                let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: .now)
                return (invitation, minter.mint(invitation))
            }
            _ = try Batch.run(count) { (index) throws(FileError) in
                try slidePublisher.publish(slideBatch[index].0, token: slideBatch[index].1, slide: true)
            }
            try slidePublisher.publishIndexes()
            FileSystem.flushAll()
            slideRates.append(Double(count) / (Double(Measure.now() - start) / 1e9))
            slideBytes = (try? FileSystem.readIfPresent(FileSystem.join(slidesSite.invitationFolder(slideBatch[0].0.id), "slide.png")))??.count ?? 0
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: slidesSite.root))
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: raw))
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: tokensSite.root))
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: pagesSite.root))
        }
        let tokens = Measure.median(tokenRates), pages = Measure.median(pageRates), creates = Measure.median(createRates)
        let slides = Measure.median(slideRates)
        return [
            "link pages (\(count) invitations per round, \(rounds) rounds, files in \(FileManager.default.temporaryDirectory.path), one sync per batch, pages on \(Batch.threads(for: count)) threads as tessera mint does)",
            Measure.line("plain file creations/s on this disk", Measure.format(creates),
                         String(format: "a page is 3 files: at most %.0f pages/s here", creates / 3)),
            Measure.line("invitations written as token files only/s", Measure.format(tokens)),
            Measure.line("link pages written/s (token, qr.svg, index.html)", Measure.format(pages),
                         String(format: "pages/tokens = %.2f, pages/bound = %.2f; target ≥ 5000 pages/s", pages / tokens, pages / (creates / 3))),
            Measure.line("link pages with slides written/s (+ slide.svg, slide.png)", Measure.format(slides),
                         String(format: "slides/pages = %.2f, slides/bound = %.2f (5 files: at most %.0f/s); slide.png %d bytes",
                                slides / pages, slides / (creates / 5), creates / 5, slideBytes)),
        ]
    }
}
