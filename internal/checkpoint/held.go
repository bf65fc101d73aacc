package checkpoint

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/store"
)

// maxHeld bounds a checkpoint file: a head is about 150 bytes, so this
// holds tens of thousands of incidents.
const maxHeld = 16 << 20

// ParseHeld reads a checkpoint kept away from the database: either the
// text the daily digest carries (Summary: a "Chain checkpoint N, signed
// ..." line, then "body: {...}" and "signature: ..." lines, possibly
// inside a longer pasted message) or the checkpoint as JSON (id, at, body,
// public_key, signature). It checks the signature; which key is trusted is
// the caller's decision (Trust).
func ParseHeld(data []byte) (store.Checkpoint, error) {
	if len(data) > maxHeld {
		return store.Checkpoint{}, fmt.Errorf("larger than %d MiB: not a checkpoint", maxHeld>>20)
	}
	var c store.Checkpoint
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		if err := json.Unmarshal(trimmed, &c); err != nil {
			return c, fmt.Errorf("not a checkpoint in JSON: %v", err)
		}
		// The signed body is canonical JSON, which is compact: a copy
		// pretty-printed on its way (jq, an editor) compacts back to the
		// bytes signed.
		var compact bytes.Buffer
		if json.Compact(&compact, c.Body) == nil {
			c.Body = compact.Bytes()
		}
	} else {
		var err error
		if c, err = parseSummary(string(data)); err != nil {
			return c, err
		}
	}
	if len(c.Body) == 0 {
		return c, errors.New("the checkpoint has no body")
	}
	if err := c.CheckSignature(); err != nil {
		return c, err
	}
	if _, err := c.ReadBody(); err != nil {
		return c, fmt.Errorf("checkpoint %d: %w", c.ID, err)
	}
	return c, nil
}

// parseSummary reads the digest's text form (Summary).
func parseSummary(text string) (store.Checkpoint, error) {
	var c store.Checkpoint
	var found bool
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), ">")) // quoted in a reply
		switch {
		case strings.HasPrefix(line, "Chain checkpoint "):
			head, key, ok := strings.Cut(strings.TrimPrefix(line, "Chain checkpoint "), " (Ed25519 key ")
			id, at, ok2 := strings.Cut(head, ", signed ")
			if !ok || !ok2 {
				return c, fmt.Errorf("cannot read %q: expected \"Chain checkpoint N, signed TIME (Ed25519 key HEX)\"", line)
			}
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return c, fmt.Errorf("cannot read the checkpoint number in %q", line)
			}
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return c, fmt.Errorf("cannot read the signing time in %q", line)
			}
			c.ID, c.At, c.PublicKey, found = n, t, strings.TrimSuffix(key, ")"), true
		case found && strings.HasPrefix(line, "body: "):
			c.Body = json.RawMessage(strings.TrimPrefix(line, "body: "))
		case found && strings.HasPrefix(line, "signature: "):
			c.Signature = strings.TrimPrefix(line, "signature: ")
		}
	}
	if !found {
		return c, errors.New("no \"Chain checkpoint N, signed ...\" line: paste the checkpoint from the daily digest, or its JSON")
	}
	if c.Signature == "" {
		return c, fmt.Errorf("checkpoint %d has no \"signature:\" line", c.ID)
	}
	return c, nil
}

// Trust checks that the checkpoint was signed by publicKey (hex), when one
// is given. It returns the key to show.
func Trust(c store.Checkpoint, publicKey string) error {
	if publicKey == "" {
		return nil
	}
	want, err := hex.DecodeString(strings.TrimSpace(publicKey))
	if err != nil {
		return errors.New("--public-key is not hex")
	}
	if got, _ := hex.DecodeString(c.PublicKey); !bytes.Equal(got, want) {
		return fmt.Errorf("checkpoint %d is signed by key %s, not by the trusted key %s", c.ID, c.PublicKey, hex.EncodeToString(want))
	}
	return nil
}

// CheckChain checks an incident's events against a held checkpoint. The
// events must already form a sound chain (evidence.ChainProblem): this
// only asks whether the chain is the one the checkpoint saw. A checkpoint
// that holds no head for the incident is an error: it cannot vouch.
func CheckChain(c store.Checkpoint, incidentID string, events []store.Event) error {
	p, covered, err := c.HeadProblem(incidentID, len(events), func(seq int64) string { return events[seq-1].Hash })
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", c.ID, err)
	}
	if !covered {
		return fmt.Errorf("checkpoint %d (signed %s) holds no head for %s: it was signed before the incident had events, so it cannot vouch for it; use a later checkpoint", c.ID, c.At.UTC().Format(time.RFC3339), incidentID)
	}
	if p != "" {
		return errors.New(p)
	}
	return nil
}
