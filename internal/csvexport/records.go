package csvexport

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/store"
)

// WriteTimeline writes events as CSV with a header row: every field of the
// JSON export, enough to recompute the hash chain (cells through Restore).
func WriteTimeline(w io.Writer, events []store.Event) error {
	cw := NewWriter(w)
	// sealed is the data as stored when the store encrypts it: the hash
	// covers it instead of data (empty when stored in clear).
	_ = cw.Write("incident_id", "seq", "key", "at", "kind", "actor", "data", "hash", "prev_hash", "sealed")
	for _, e := range events {
		_ = cw.Write(e.IncidentID, strconv.FormatInt(e.Seq, 10), e.Key, e.At.UTC().Format(time.RFC3339Nano), e.Kind, e.Actor, string(e.Data), e.Hash, e.PrevHash, string(e.Sealed))
	}
	return cw.Flush()
}

// WriteRegister writes register entries as CSV with a header row: every
// field of the JSON export, the addresses in "to" joined by "; ".
func WriteRegister(w io.Writer, entries []store.RegisterEntry) error {
	cw := NewWriter(w)
	_ = cw.Write("id", "incident_id", "kind", "regime", "obligation", "recipient", "to", "status", "due_at", "sent_at", "on_time", "late_reason", "reference", "message_id", "content_hash", "decided_by", "rationale", "recorded_at", "language")
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, e := range entries {
		onTime := ""
		if e.OnTime != nil {
			onTime = strconv.FormatBool(*e.OnTime)
		}
		_ = cw.Write(e.ID, e.IncidentID, e.Kind, e.Regime, e.Obligation, e.Recipient, strings.Join(e.To, "; "), e.Status, ts(e.DueAt), ts(e.SentAt), onTime,
			e.LateReason, e.Reference, e.MessageID, e.ContentHash, e.DecidedBy, e.Rationale, e.RecordedAt.UTC().Format(time.RFC3339), e.Language)
	}
	return cw.Flush()
}
