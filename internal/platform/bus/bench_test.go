package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/openhouse/openhouse/internal/platform/bus"
)

// benchTour has the shape of the tour events' data (events.Tour with three
// stops): the largest events of the booking saga, about 1 KB on the wire.
type benchTour struct {
	TourID, CustomerID, PaymentID, OrderID string
	Stops                                  []benchStop
	TimeZone                               string
	ScheduledAt, EndsAt                    time.Time
	Status, RealtorID                      string
	Version                                int
	CreatedAt                              time.Time
}

type benchStop struct {
	ListingID, ProviderID, Title string
	Location                     struct{ Lat, Lng float64 }
	Arrive, Leave                time.Time
}

// BenchmarkEventCodec measures the CloudEvents envelope every hop pays:
// NewEvent (id, source, data marshalled, trace context injected,
// validation) when the producer writes its outbox row, Encode when the row
// is stored, and Decode (parse, validate, type check) when the relay reads
// the row and again when a consumer receives it.
func BenchmarkEventCodec(b *testing.B) {
	at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	data := benchTour{TourID: "7d0c7c3e-4f0a-4b7e-9a55-1c2d3e4f5a6b", CustomerID: "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8",
		PaymentID: "p9f8e7d6-c5b4-4a39-8281-706f5e4d3c2b", OrderID: "o5e4d3c2-b1a0-4f9e-8d7c-6b5a49382716",
		TimeZone: "America/Chicago", ScheduledAt: at, EndsAt: at.Add(150 * time.Minute), Status: "pending", Version: 1, CreatedAt: at}
	for i := range 3 {
		s := benchStop{ListingID: fmt.Sprintf("l%d-8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d", i), ProviderID: "pr-1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",
			Title: fmt.Sprintf("Bench home %d, a three-bedroom house near the lake", i), Arrive: at.Add(time.Duration(i) * 50 * time.Minute)}
		s.Location.Lat, s.Location.Lng = 41.88+float64(i)/100, -87.63
		s.Leave = s.Arrive.Add(30 * time.Minute)
		data.Stops = append(data.Stops, s)
	}
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled, Remote: true}))

	ev, err := bus.NewEvent(ctx, typeCreated, data.TourID, data, at)
	if err != nil {
		b.Fatal(err)
	}
	wire, err := bus.Encode(ev)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("NewEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bus.NewEvent(ctx, typeCreated, data.TourID, data, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := bus.Encode(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := bus.Decode(wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode+DataAs", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			got, err := bus.Decode(wire)
			if err != nil {
				b.Fatal(err)
			}
			var d benchTour
			if err := got.DataAs(&d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
