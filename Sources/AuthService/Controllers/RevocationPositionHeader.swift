import Common
import HTTPTypes

extension HTTPFields {
    /// The revocation stream position of what a request revoked, for the gateway that carries the
    /// answer (it enforces the revocation before answering, then removes the header).
    static func revocationPosition(_ position: StreamID?) -> HTTPFields {
        guard let position, let name = HTTPField.Name(RevocationStream.positionHeader) else { return [:] }
        return [name: position.description]
    }
}
