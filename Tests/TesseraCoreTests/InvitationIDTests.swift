import Testing
import TesseraCore
import TesseraMint
import TesseraTestSupport

@Suite(.offThePool) struct InvitationIDTests {
    /// Ids are typed as arguments (`tessera revoke ID`), where a leading '-' would read as an option.
    @Test func idsAreDistinctAndNeverStartWithAHyphen() {
        let ids = (0..<20_000).map { _ in Minter.newInvitationID() }
        #expect(Set(ids).count == ids.count)
        #expect(!ids.contains { $0.hasPrefix("-") })
        // The rest of the alphabet is still drawn: '_' leads about 1 in 63, '-' appears further in.
        #expect(ids.contains { $0.hasPrefix("_") })
        #expect(ids.contains { $0.contains("-") })
        #expect(ids.allSatisfy { $0.utf8.count == 22 && Name.isMintedInvitationID($0) })
    }
}
