import Hummingbird
import ServiceLifecycle

/// A Hummingbird application served on a free loopback port until it is stopped.
///
/// It stops by a graceful shutdown, never by cancelling the task that runs it: cancelling a server
/// while an accepted connection still waits to be served traps inside NIO ("Deinited NIOAsyncWriter
/// without calling finish()", swift-nio issue 3481), and that trap ended a whole CI run under ASan.
final class LiveServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// Builds the application with `make`, which must call the handler it is given once the server listens, and serves it.
    static func start<App: ApplicationProtocol>(
        _ make: (@escaping @Sendable (Int) async -> Void) throws -> App
    ) async throws -> LiveServer {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try make { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await group.triggerGracefulShutdown()
            throw RawHTTP.Failure(description: "the server did not start")
        }
        return LiveServer(port: port, group: group, task: task)
    }

    /// Starts a graceful shutdown and returns at once (for `defer`).
    func stop() {
        Task { [group] in await group.triggerGracefulShutdown() }
    }

    /// Shuts down gracefully and waits until the server has stopped.
    func stopAndWait() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
