package store

import (
	"bytes"
	"fmt"
)

// chainHead is the timeline_heads row: the seq and hash of the last event
// the store appended.
type chainHead struct {
	lastSeq  int64
	lastHash string
}

// verifyChain walks rows (ordered by seq) against the head. It stops at the
// first problem: later events cannot be trusted to mean anything once the
// chain is broken, and the first bad seq is what a reviewer needs.
func verifyChain(rows []storedEvent, head *chainHead) VerifyResult {
	res := VerifyResult{Events: len(rows)}
	bad := func(seq int64, format string, args ...any) VerifyResult {
		res.FirstBadSeq = seq
		res.Reason = fmt.Sprintf(format, args...)
		return res
	}
	maxSeq := int64(len(rows))
	if head != nil && head.lastSeq > maxSeq {
		maxSeq = head.lastSeq
	}
	prev := ZeroHash
	var h chainHasher
	for i, r := range rows {
		want := int64(i + 1)
		if r.Seq < want {
			return bad(want, "an event numbered %d was added before event %d", r.Seq, want)
		}
		if r.Seq > want {
			if want == r.Seq-1 {
				return bad(want, "event %d is missing", want)
			}
			return bad(want, "events %d to %d are missing", want, r.Seq-1)
		}
		if !r.at.exact {
			return bad(want, "event %d was edited: its time %q is not as the store writes it", want, r.at.raw)
		}
		data := r.rawData
		if !isCanonicalObject(data) {
			// The fast check is conservative; the encoding's definition
			// decides.
			if canon, err := canonicalObject(data); err != nil || !bytes.Equal(canon, data) {
				return bad(want, "event %d was edited: its data is not as the store writes it", want)
			}
		}
		if !h.matches(r.Event, data, r.Hash) {
			if orig := originalSeq(r.Event, maxSeq+1); orig != 0 && orig != want {
				if orig < want {
					return bad(orig, "event %d was inserted: the event now numbered %d was written as event %d", orig, want, orig)
				}
				return bad(want, "event %d is out of place: it was written as event %d (events were deleted or reordered)", want, orig)
			}
			return bad(want, "event %d was edited: its hash does not match its content", want)
		}
		if r.PrevHash != prev {
			if want == 1 {
				return bad(want, "event 1 does not start the chain: its prev_hash is not 64 zeros")
			}
			return bad(want, "event %d does not follow event %d: its prev_hash is not event %d's hash (an event was inserted, replaced or reordered)", want, want-1, want-1)
		}
		prev = r.Hash
	}
	n := int64(len(rows))
	switch {
	case head == nil && n == 0:
	case head == nil:
		return bad(n, "the chain head record is missing, so events deleted from the end cannot be ruled out")
	case head.lastSeq > n:
		if head.lastSeq == n+1 {
			return bad(n+1, "event %d is missing: the chain head records %d events, %d remain", n+1, head.lastSeq, n)
		}
		return bad(n+1, "events %d to %d are missing: the chain head records %d events, %d remain", n+1, head.lastSeq, head.lastSeq, n)
	case head.lastSeq < n:
		return bad(head.lastSeq+1, "event %d was added outside the store: the chain head records only %d events", head.lastSeq+1, head.lastSeq)
	case head.lastHash != prev:
		if n == 0 {
			return bad(1, "the chain head records a hash but there are no events")
		}
		return bad(n, "event %d does not match the chain head: it was replaced", n)
	}
	res.OK = true
	return res
}

// originalSeq finds the seq an intact but renumbered event was written
// with, by trying each candidate; 0 when none fits (the event was edited).
// It runs at most once per Verify.
func originalSeq(e Event, limit int64) int64 {
	for s := int64(1); s <= limit; s++ {
		c := e
		c.Seq = s
		if c.ComputeHash() == e.Hash {
			return s
		}
	}
	return 0
}
