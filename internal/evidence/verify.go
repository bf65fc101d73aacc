package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
)

// Problem is one thing wrong with a pack, naming the file.
type Problem struct {
	File   string `json:"file"`
	Detail string `json:"detail"`
}

func (p Problem) String() string { return p.File + ": " + p.Detail }

// Result is what Verify found.
type Result struct {
	OK         bool      `json:"ok"`
	IncidentID string    `json:"incident_id"`
	ChainHead  string    `json:"chain_head"`
	Events     int       `json:"events"`
	Files      int       `json:"files"`
	Notices    int       `json:"notices"`
	EMLs       int       `json:"emls"`
	Problems   []Problem `json:"problems"`
}

// Verify checks a pack offline: every file against the manifest (and no
// file outside it), the hash chain recomputed from timeline.json and
// timeline.csv, the chain head against the manifest and verify.json, and
// each notice's content hash and .eml hash against its metadata and the
// timeline. It needs nothing but the zip's bytes.
func Verify(pack []byte) Result {
	res, _ := verify(pack)
	return res
}

// VerifyAgainst is Verify, then the pack's chain checked against a
// checkpoint held away from the server (checkpoint.ParseHeld): a pack
// rebuilt from a rewritten database recomputes cleanly but is not the
// chain the checkpoint saw.
func VerifyAgainst(pack []byte, c store.Checkpoint) Result {
	res, events := verify(pack)
	if err := checkpoint.CheckChain(c, res.IncidentID, events); err != nil {
		res.Problems = append(res.Problems, Problem{TimelineJSONFile, err.Error()})
		res.OK = false
	}
	return res
}

func verify(pack []byte) (res Result, events []store.Event) {
	res.Problems = []Problem{}
	bad := func(file, format string, args ...any) {
		res.Problems = append(res.Problems, Problem{file, fmt.Sprintf(format, args...)})
	}
	defer func() { res.OK = len(res.Problems) == 0 }()
	if len(pack) > maxPackBytes {
		bad("(pack)", "larger than %d MiB", maxPackBytes>>20)
		return res, nil
	}
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		bad("(pack)", "not a readable zip: %v", err)
		return res, nil
	}
	files := map[string][]byte{}
	root := ""
	for _, f := range zr.File {
		dir, name, ok := strings.Cut(f.Name, "/")
		if !ok || name == "" || (root != "" && dir != root) || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
			bad(f.Name, "not inside the pack's one top-level folder")
			continue
		}
		root = dir
		if _, dup := files[name]; dup {
			bad(name, "appears twice in the zip")
			continue
		}
		if f.UncompressedSize64 > maxPackFileBytes {
			bad(name, "larger than %d MiB", maxPackFileBytes>>20)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			bad(name, "cannot be read: %v", err)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxPackFileBytes+1))
		if cerr := rc.Close(); err == nil {
			err = cerr // a zip entry's Close reports a checksum mismatch
		}
		if err != nil {
			bad(name, "cannot be read (changed or damaged inside the zip): %v", err)
			continue
		}
		files[name] = b
	}
	mb, ok := files[ManifestName]
	if !ok {
		bad(ManifestName, "missing")
		return res, nil
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		bad(ManifestName, "not valid JSON: %v", err)
		return res, nil
	}
	if m.Format != Format {
		bad(ManifestName, "format %q, this irbot reads %q", m.Format, Format)
	}
	res.IncidentID, res.ChainHead, res.Files = m.IncidentID, m.ChainHead, len(m.Files)
	listed := map[string]bool{ManifestName: true}
	for _, mf := range m.Files {
		listed[mf.Path] = true
		b, ok := files[mf.Path]
		if !ok {
			bad(mf.Path, "listed in the manifest but missing from the pack")
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != mf.SHA256 {
			bad(mf.Path, "SHA-256 %s does not match the manifest's %s: the file was changed", got, mf.SHA256)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !listed[name] {
			bad(name, "in the pack but not in the manifest: it was added")
		}
	}
	events = verifyTimelineJSON(files, &res, bad)
	res.Events = len(events)
	verifyTimelineCSV(files, events, bad)
	head := "" // an incident with no events has no head
	if n := len(events); n > 0 {
		head = events[n-1].Hash
	}
	if m.ChainHead != head {
		bad(ManifestName, "chain_head %s is not the timeline's last hash %s", m.ChainHead, head)
	}
	if m.Events != len(events) {
		bad(ManifestName, "records %d events, the timeline has %d", m.Events, len(events))
	}
	if vb, ok := files[VerifyFile]; ok {
		var v VerifyRecord
		switch {
		case json.Unmarshal(vb, &v) != nil:
			bad(VerifyFile, "not valid JSON")
		case v.ChainHead != head:
			bad(VerifyFile, "chain_head %s is not the timeline's last hash %s", v.ChainHead, head)
		case !v.OK:
			bad(VerifyFile, "the server's own check failed when the pack was built: event %d: %s", v.FirstBadSeq, v.Reason)
		}
	} else {
		bad(VerifyFile, "missing")
	}
	verifyNotices(files, names, events, &res, bad)
	return res, events
}

func verifyTimelineJSON(files map[string][]byte, res *Result, bad func(string, string, ...any)) []store.Event {
	tb, ok := files[TimelineJSONFile]
	if !ok {
		bad(TimelineJSONFile, "missing")
		return nil
	}
	var tl struct {
		IncidentID string        `json:"incident_id"`
		Events     []store.Event `json:"events"`
	}
	if err := json.Unmarshal(tb, &tl); err != nil {
		bad(TimelineJSONFile, "not valid JSON: %v", err)
		return nil
	}
	if res.IncidentID != "" && tl.IncidentID != res.IncidentID {
		bad(TimelineJSONFile, "is the timeline of %q, the manifest names %q", tl.IncidentID, res.IncidentID)
	}
	if p := ChainProblem(tl.Events); p != "" {
		bad(TimelineJSONFile, "%s", p)
	}
	return tl.Events
}

// ChainProblem recomputes a chain: seq 1, 2, ...; each event's hash from
// its canonical bytes; each prev_hash the hash before it. "" when sound.
func ChainProblem(events []store.Event) string {
	prev := store.ZeroHash
	for i, e := range events {
		if e.Seq != int64(i+1) {
			return fmt.Sprintf("event %d has seq %d: events are missing, added or out of order", i+1, e.Seq)
		}
		if e.PrevHash != prev {
			return fmt.Sprintf("event %d's prev_hash is not event %d's hash", e.Seq, e.Seq-1)
		}
		if got := e.ComputeHash(); got != e.Hash {
			return fmt.Sprintf("event %d (%s) was changed: its content hashes to %s, the chain says %s", e.Seq, e.Kind, got, e.Hash)
		}
		prev = e.Hash
	}
	return ""
}

// verifyTimelineCSV recomputes the chain from the CSV on its own and checks
// it names the same events as the JSON.
func verifyTimelineCSV(files map[string][]byte, events []store.Event, bad func(string, string, ...any)) {
	cb, ok := files[TimelineCSVFile]
	if !ok {
		bad(TimelineCSVFile, "missing")
		return
	}
	rows, err := csv.NewReader(bytes.NewReader(cb)).ReadAll()
	if err != nil || len(rows) == 0 {
		bad(TimelineCSVFile, "not readable CSV: %v", err)
		return
	}
	var csvEvents []store.Event
	for i, r := range rows[1:] {
		if len(r) != 9 && len(r) != 10 {
			bad(TimelineCSVFile, "row %d has %d cells, want 10", i+2, len(r))
			return
		}
		for j := range r {
			r[j] = csvexport.Restore(r[j])
		}
		seq, err1 := strconv.ParseInt(r[1], 10, 64)
		at, err2 := time.Parse(time.RFC3339Nano, r[3])
		if err1 != nil || err2 != nil {
			bad(TimelineCSVFile, "row %d: seq or time unreadable", i+2)
			return
		}
		ev := store.Event{IncidentID: r[0], Seq: seq, Key: r[2], At: at, Kind: r[4], Actor: r[5], Data: json.RawMessage(r[6]), Hash: r[7], PrevHash: r[8]}
		if len(r) == 10 && r[9] != "" {
			ev.Sealed = json.RawMessage(r[9]) // the stored, encrypted form the hash covers
		}
		csvEvents = append(csvEvents, ev)
	}
	if p := ChainProblem(csvEvents); p != "" {
		bad(TimelineCSVFile, "%s", p)
		return
	}
	if len(csvEvents) != len(events) {
		bad(TimelineCSVFile, "has %d events, timeline.json %d", len(csvEvents), len(events))
		return
	}
	for i := range events {
		if csvEvents[i].Hash != events[i].Hash {
			bad(TimelineCSVFile, "event %d differs from timeline.json", i+1)
			return
		}
	}
}

// verifyNotices checks each notices/N.json: its content hash recomputes from
// its subject, text and HTML and is the one the timeline recorded for the
// notice; its .eml, when present, matches eml_sha256.
func verifyNotices(files map[string][]byte, names []string, events []store.Event, res *Result, bad func(string, string, ...any)) {
	chained := map[string][]string{} // notice ID -> content hashes on the timeline
	for _, e := range events {
		var d struct {
			Notice      string `json:"notice"`
			ContentHash string `json:"content_hash"`
		}
		if json.Unmarshal(e.Data, &d) == nil && d.Notice != "" && d.ContentHash != "" {
			chained[d.Notice] = append(chained[d.Notice], d.ContentHash)
		}
	}
	for _, name := range names {
		if !strings.HasPrefix(name, noticesDir) || path.Ext(name) != noticeMetaSuffix {
			continue
		}
		res.Notices++
		var n NoticeRecord
		if err := json.Unmarshal(files[name], &n); err != nil {
			bad(name, "not valid JSON: %v", err)
			continue
		}
		if n.ContentHash != "" {
			if got := templates.ContentHash(n.Subject, n.Text, n.HTML); got != n.ContentHash {
				bad(name, "content_hash %s does not recompute from its subject, text and HTML (%s): the notice was changed", n.ContentHash, got)
			}
			if hs, ok := chained[n.ID]; ok && !slices.Contains(hs, n.ContentHash) {
				bad(name, "content_hash %s is not one the timeline recorded for notice %s", n.ContentHash, n.ID)
			}
		}
		if n.EML != "" {
			eb, ok := files[n.EML]
			if !ok {
				bad(n.EML, "named by %s but missing", name)
				continue
			}
			res.EMLs++
			sum := sha256.Sum256(eb)
			if got := hex.EncodeToString(sum[:]); got != n.EMLSHA256 {
				bad(n.EML, "SHA-256 %s is not the %s recorded in %s", got, n.EMLSHA256, name)
			}
		}
	}
}
