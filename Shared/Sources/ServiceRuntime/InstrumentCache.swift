public import Synchronization

/// Metrics instruments made once per distinct key and reused.
///
/// Making a swift-metrics instrument asks the factory, which looks its labels up in the
/// registry; a hot path that records per operation or per status keeps its instruments here.
/// Inlinable, so that each user's lookup is specialised for its key type rather than run as
/// generic code on every request.
///
/// ```swift
/// let requests = InstrumentCache { (operation: String) in Counter(label: "requests_total", dimensions: [("operation", operation)]) }
/// requests("login").increment()
/// ```
public final class InstrumentCache<Key: Hashable & Sendable, Instrument: Sendable>: Sendable {
    @usableFromInline let make: @Sendable (Key) -> Instrument
    @usableFromInline let instruments = Mutex<[Key: Instrument]>([:])

    @inlinable
    public init(_ make: @escaping @Sendable (Key) -> Instrument) {
        self.make = make
    }

    /// The instrument for `key`, made on first use.
    @inlinable
    public func callAsFunction(_ key: Key) -> Instrument {
        if let instrument = self.instruments.withLock({ $0[key] }) { return instrument }
        let instrument = self.make(key)
        return self.instruments.withLock { instruments in
            if let existing = instruments[key] { return existing }
            instruments[key] = instrument
            return instrument
        }
    }
}
