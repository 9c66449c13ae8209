import NIOCore
import Testing
@testable import Gateway
import WireTransport

@Suite("BackendPool state machine")
struct BackendPoolStateMachineTests {
    let a = WireEndpointAddress.unix(path: "/a")
    let b = WireEndpointAddress.unix(path: "/b")
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func picksTheInstanceWithFewestInFlight() {
        var machine = BackendPool.StateMachine(addresses: [a, b])
        let first = machine.pick(now: start)
        let second = machine.pick(now: start)
        #expect(Set([first, second]) == Set([a, b]))
        machine.finish(a, outcome: .success, now: start)
        #expect(machine.pick(now: start) == a, "a has none in flight, b has one")
    }

    @Test func failureEjectsWithGrowingBackoffAndSuccessReadmits() {
        var machine = BackendPool.StateMachine(addresses: [a, b], baseEjection: .milliseconds(100))
        _ = machine.pick(now: start, excluding: [b])
        machine.finish(a, outcome: .failure, now: start)
        #expect(machine.isEjected(a))
        for _ in 0..<5 { #expect(machine.pick(now: start) == b); machine.finish(b, outcome: .success, now: start) }

        // After the ejection runs out the prober may try it; another failure doubles the wait.
        #expect(machine.probeCandidates(now: start + .milliseconds(99)).isEmpty)
        #expect(machine.probeCandidates(now: start + .milliseconds(100)) == [a])
        machine.record(a, outcome: .failure, now: start + .milliseconds(100))
        #expect(machine.probeCandidates(now: start + .milliseconds(299)).isEmpty)
        #expect(machine.probeCandidates(now: start + .milliseconds(300)) == [a])

        machine.record(a, outcome: .success, now: start + .milliseconds(300))
        #expect(!machine.isEjected(a))
    }

    @Test func whenEveryInstanceIsEjectedOneIsStillTried() {
        var machine = BackendPool.StateMachine(addresses: [a], baseEjection: .milliseconds(100))
        _ = machine.pick(now: start)
        machine.finish(a, outcome: .failure, now: start)
        #expect(machine.pick(now: start + .milliseconds(100)) == a, "its backoff has run out: a trial")
        machine.finish(a, outcome: .failure, now: start + .milliseconds(100))
        #expect(machine.pick(now: start + .milliseconds(150)) == a, "still ejected, but better tried than refused")
        #expect(machine.pick(now: start + .milliseconds(150), excluding: [a]) == nil)
    }

    @Test func ejectionIsCappedAtTheMaximum() {
        let machine = BackendPool.StateMachine(addresses: [a], baseEjection: .milliseconds(100), maximumEjection: .seconds(5))
        #expect(machine.ejection(afterFailures: 1) == .milliseconds(100))
        #expect(machine.ejection(afterFailures: 4) == .milliseconds(800))
        #expect(machine.ejection(afterFailures: 40) == .seconds(5))
    }

    @Test func changingTheInstancesKeepsTheStateOfThoseThatStay() {
        var machine = BackendPool.StateMachine(addresses: [a, b])
        _ = machine.pick(now: start, excluding: [b])
        machine.setAddresses([a])
        #expect(machine.order == [a])
        #expect(machine.endpoints[a]?.inFlight == 1)
        machine.setAddresses([a, b, b])
        #expect(machine.order == [a, b])
    }
}
