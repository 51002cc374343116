import Common
import Hummingbird
import NIOCore

/// A thrown ``APIError`` becomes its response in the services' router.
extension APIError: HTTPResponseError {
    package func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// Renders the error without a request, for code that answers before routing.
    package func response() -> Response {
        var headers = self.extraHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: self.status,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: self.jsonBody()))
        )
    }
}
