import WireTransport
import NIOCore

extension BackendPool {
    /// Which instance gets the next request: least in flight, failing instances ejected for a
    /// growing while and taken back when they answer again.
    ///
    /// Pure and clock-injected (every decision takes `now`), so tests drive it without sleeping.
    struct StateMachine {
        struct Endpoint: Equatable {
            var inFlight = 0
            var consecutiveFailures = 0
            var ejectedUntil: NIODeadline?
        }

        enum Outcome {
            /// The instance answered (any answer, errors included): it is healthy.
            case success
            /// The instance could not be reached or dropped the connection.
            case failure
            /// Nothing learnt about the instance (a timeout, a full connection).
            case neutral
        }

        private(set) var order: [WireEndpointAddress]
        private(set) var endpoints: [WireEndpointAddress: Endpoint]
        private var cursor = 0
        let baseEjection: TimeAmount
        let maximumEjection: TimeAmount

        init(
            addresses: [WireEndpointAddress],
            baseEjection: TimeAmount = .milliseconds(100),
            maximumEjection: TimeAmount = .seconds(5)
        ) {
            self.order = []
            self.endpoints = [:]
            self.baseEjection = baseEjection
            self.maximumEjection = maximumEjection
            self.setAddresses(addresses)
        }

        /// Picks an instance not in `excluding` and counts the request against it.
        ///
        /// Healthy instances first, fewest requests in flight, ties taken in turn; when every
        /// instance is ejected, one whose ejection has run out gets a trial request, and failing
        /// that the one whose ejection ends first: trying a doubtful instance beats refusing.
        mutating func pick(now: NIODeadline, excluding: Set<WireEndpointAddress> = []) -> WireEndpointAddress? {
            guard !self.order.isEmpty else { return nil }
            var best: (address: WireEndpointAddress, inFlight: Int)?
            var trial: WireEndpointAddress?
            var lastResort: (address: WireEndpointAddress, until: NIODeadline)?
            for step in 0..<self.order.count {
                let address = self.order[(self.cursor + step) % self.order.count]
                guard !excluding.contains(address), let endpoint = self.endpoints[address] else { continue }
                if let until = endpoint.ejectedUntil {
                    if until <= now && endpoint.inFlight == 0 && trial == nil { trial = address }
                    if until < lastResort?.until ?? .distantFuture { lastResort = (address, until) }
                    continue
                }
                if endpoint.inFlight < best?.inFlight ?? Int.max {
                    best = (address, endpoint.inFlight)
                }
            }
            self.cursor = (self.cursor + 1) % self.order.count
            guard let chosen = best?.address ?? trial ?? lastResort?.address else { return nil }
            self.endpoints[chosen]?.inFlight += 1
            return chosen
        }

        /// Records how a request picked with ``pick(now:excluding:)`` ended.
        mutating func finish(_ address: WireEndpointAddress, outcome: Outcome, now: NIODeadline) {
            guard var endpoint = self.endpoints[address] else { return }
            endpoint.inFlight = max(0, endpoint.inFlight - 1)
            self.endpoints[address] = endpoint
            self.record(address, outcome: outcome, now: now)
        }

        /// Records a probe's result, which counted no request.
        mutating func record(_ address: WireEndpointAddress, outcome: Outcome, now: NIODeadline) {
            guard var endpoint = self.endpoints[address] else { return }
            switch outcome {
            case .success:
                endpoint.consecutiveFailures = 0
                endpoint.ejectedUntil = nil
            case .failure:
                endpoint.consecutiveFailures += 1
                endpoint.ejectedUntil = now + self.ejection(afterFailures: endpoint.consecutiveFailures)
            case .neutral:
                break
            }
            self.endpoints[address] = endpoint
        }

        /// Ejected instances whose ejection has run out: the prober pings these.
        func probeCandidates(now: NIODeadline) -> [WireEndpointAddress] {
            self.order.filter { address in
                guard let until = self.endpoints[address]?.ejectedUntil else { return false }
                return until <= now
            }
        }

        func isEjected(_ address: WireEndpointAddress) -> Bool {
            self.endpoints[address]?.ejectedUntil != nil
        }

        /// Replaces the set of instances, keeping the state of those that stay.
        mutating func setAddresses(_ addresses: [WireEndpointAddress]) {
            var seen: Set<WireEndpointAddress> = []
            self.order = addresses.filter { seen.insert($0).inserted }
            var endpoints: [WireEndpointAddress: Endpoint] = [:]
            for address in self.order { endpoints[address] = self.endpoints[address] ?? Endpoint() }
            self.endpoints = endpoints
            if self.cursor >= max(1, self.order.count) { self.cursor = 0 }
        }

        func ejection(afterFailures failures: Int) -> TimeAmount {
            let factor = Int64(1) << Int64(min(failures - 1, 16))
            return .nanoseconds(min(self.baseEjection.nanoseconds * factor, self.maximumEjection.nanoseconds))
        }
    }
}
