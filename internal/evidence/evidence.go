// Package evidence builds and checks an incident's evidence pack: one zip an
// auditor can read and verify with nothing else (no server, no database).
// The API (GET /api/v1/incidents/{id}/evidence), the CLI (irbot evidence,
// a client of that endpoint) and the console all get their pack from
// Packer.WriteEvidence; irbot verify --evidence checks one with Verify.
//
// Layout (docs/evidence.md has the details):
//
//	manifest.json          every other file's SHA-256 and size, the chain head
//	incident.json          the incident summary (state as irbot knows it)
//	timeline.json|csv|md   the full hash-chained timeline
//	notices/N.json         each notice's metadata, text, HTML, delivery attempts
//	notices/N.eml          the exact RFC 5322 message sent, when the store keeps it
//	register.json|csv      the incident's notification register rows
//	breach-register.json   the incident's breach register row (live incidents)
//	verify.json            the server's verify result and the chain head
//	report.pdf             the readable report
//	VERIFY.md              how to recompute the chain and the notice hashes
//	verify_chain.py        a reference script (Python 3, standard library only)
package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Format names this pack layout; manifest.json carries it.
const Format = "irbot.evidence.v1"

// File names inside a pack.
const (
	ManifestName      = "manifest.json"
	IncidentFile      = "incident.json"
	TimelineJSONFile  = "timeline.json"
	TimelineCSVFile   = "timeline.csv"
	TimelineMDFile    = "timeline.md"
	RegisterJSONFile  = "register.json"
	RegisterCSVFile   = "register.csv"
	BreachFile        = "breach-register.json"
	VerifyFile        = "verify.json"
	ReportFile        = "report.pdf"
	VerifyGuideFile   = "VERIFY.md"
	ReferenceScript   = "verify_chain.py"
	noticesDir        = "notices/"
	maxPackBytes      = 512 << 20 // what Verify reads at most
	maxPackFileBytes  = 256 << 20
	noticeMetaSuffix  = ".json"
	noticeEMLSuffix   = ".eml"
	generatedAtLayout = time.RFC3339
)

// VerifyChainPy is the reference script that recomputes a chain from a
// pack's timeline.json; docs/evidence.md quotes it.
//
//go:embed verify_chain.py
var VerifyChainPy []byte

// Source is the incident service as the pack reads it: every read is
// authorised there.
type Source interface {
	MayReadRegisters(actor workflows.Actor) error
	Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error)
	Verify(ctx context.Context, actor workflows.Actor, id string) (store.VerifyResult, error)
	Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error)
	RegisterFiltered(ctx context.Context, actor workflows.Actor, f incident.RegisterFilter) ([]store.RegisterEntry, error)
	BreachRow(ctx context.Context, actor workflows.Actor, id string) (incident.BreachEntry, error)
}

var _ Source = (*incident.Service)(nil)

// MessageFunc returns the exact RFC 5322 bytes of a sent notice, or
// ErrMessageNotKept.
type MessageFunc func(ctx context.Context, actor workflows.Actor, incidentID, noticeID string) ([]byte, error)

// ErrMessageNotKept says the store holds no message bytes for a notice (not
// sent, or sent before the store kept them).
var ErrMessageNotKept = errors.New("evidence: the store keeps no message bytes for this notice")

// Packer builds evidence packs.
type Packer struct {
	Source Source
	// Messages gives a sent notice's .eml bytes; nil: this build keeps none
	// and the pack carries the notices' metadata only.
	Messages MessageFunc
	Now      func() time.Time
}

// Manifest is manifest.json.
type Manifest struct {
	Format      string         `json:"format"`
	IncidentID  string         `json:"incident_id"`
	GeneratedAt string         `json:"generated_at"`
	GeneratedBy string         `json:"generated_by"`
	ChainHead   string         `json:"chain_head"`
	Events      int            `json:"events"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one file of the pack.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// VerifyRecord is verify.json: the server's own check when the pack was built.
type VerifyRecord struct {
	store.VerifyResult
	IncidentID string `json:"incident_id"`
	ChainHead  string `json:"chain_head"`
	VerifiedAt string `json:"verified_at"`
	Algorithm  string `json:"algorithm"`
}

// NoticeRecord is notices/N.json.
type NoticeRecord struct {
	workflows.NoticeState
	// EML is the name of the .eml file in the pack, "" when not kept.
	EML       string `json:"eml,omitempty"`
	EMLSHA256 string `json:"eml_sha256,omitempty"`
	EMLNote   string `json:"eml_note,omitempty"`
	// ContentHashScheme says how content_hash is computed.
	ContentHashScheme string `json:"content_hash_scheme"`
}

// ContentHashScheme describes templates.ContentHash for readers of a pack.
const ContentHashScheme = `hex SHA-256 of "<len(subject)>:" subject "<len(text)>:" text "<len(html)>:" html (lengths in bytes, decimal)`

type packFile struct {
	path string
	data []byte
}

// WriteEvidence builds id's evidence pack as actor and writes the zip to w.
func (p *Packer) WriteEvidence(ctx context.Context, actor workflows.Actor, w io.Writer, id string) error {
	if err := p.Source.MayReadRegisters(actor); err != nil {
		return apperr.New(apperr.Forbidden, "the evidence pack carries the registers: %s", apperr.MessageOf(err))
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	generated := now().UTC().Truncate(time.Second)
	st, err := p.Source.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	events, err := p.Source.Timeline(ctx, actor, id)
	if err != nil {
		return err
	}
	vr, err := p.Source.Verify(ctx, actor, id)
	if err != nil {
		return err
	}
	notices, err := p.Source.Notices(ctx, actor, id)
	if err != nil {
		return err
	}
	reg, err := p.Source.RegisterFiltered(ctx, actor, incident.RegisterFilter{IncidentID: id})
	if err != nil {
		return err
	}
	head := ""
	if n := len(events); n > 0 {
		head = events[n-1].Hash
	}
	var files []packFile
	add := func(path string, data []byte) { files = append(files, packFile{path, data}) }
	addJSON := func(path string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("evidence %s: %w", path, err)
		}
		add(path, append(b, '\n'))
		return nil
	}
	if err := addJSON(IncidentFile, st); err != nil {
		return err
	}
	if events == nil {
		events = []store.Event{}
	}
	if err := addJSON(TimelineJSONFile, map[string]any{"incident_id": id, "events": events}); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := csvexport.WriteTimeline(&b, events); err != nil {
		return err
	}
	add(TimelineCSVFile, bytes.Clone(b.Bytes()))
	add(TimelineMDFile, []byte(TimelineMarkdown(id, events)))
	for _, n := range notices {
		rec := NoticeRecord{NoticeState: n, ContentHashScheme: ContentHashScheme}
		eml, err := p.noticeEML(ctx, actor, id, n.ID)
		switch {
		case err == nil:
			rec.EML = noticesDir + n.ID + noticeEMLSuffix
			sum := sha256.Sum256(eml)
			rec.EMLSHA256 = hex.EncodeToString(sum[:])
			add(rec.EML, eml)
		case errors.Is(err, ErrMessageNotKept):
			rec.EMLNote = "the exact message bytes are not kept by this server for this notice; content_hash covers its subject, text and HTML"
		default:
			return fmt.Errorf("evidence: message of notice %s: %w", n.ID, err)
		}
		if err := addJSON(noticesDir+n.ID+noticeMetaSuffix, rec); err != nil {
			return err
		}
	}
	if reg == nil {
		reg = []store.RegisterEntry{}
	}
	if err := addJSON(RegisterJSONFile, map[string]any{"entries": reg}); err != nil {
		return err
	}
	b.Reset()
	if err := csvexport.WriteRegister(&b, reg); err != nil {
		return err
	}
	add(RegisterCSVFile, bytes.Clone(b.Bytes()))
	row, err := p.Source.BreachRow(ctx, actor, id)
	switch {
	case err == nil:
		err = addJSON(BreachFile, map[string]any{"entries": []incident.BreachEntry{row}})
	case apperr.CodeOf(err) == apperr.NotFound && st.Mode == workflows.ModeDrill:
		err = addJSON(BreachFile, map[string]any{"entries": []incident.BreachEntry{}, "note": "a drill never enters the breach register"})
	}
	if err != nil {
		return err
	}
	if err := addJSON(VerifyFile, VerifyRecord{VerifyResult: vr, IncidentID: id, ChainHead: head, VerifiedAt: generated.Format(generatedAtLayout), Algorithm: store.HashVersion}); err != nil {
		return err
	}
	b.Reset()
	if err := writeReport(&b, reportInput{State: st, Events: events, Verify: vr, Notices: notices, Register: reg, ChainHead: head, Generated: generated}); err != nil {
		return err
	}
	add(ReportFile, bytes.Clone(b.Bytes()))
	add(VerifyGuideFile, []byte(verifyGuide(id, head, len(events))))
	add(ReferenceScript, VerifyChainPy)

	m := Manifest{Format: Format, IncidentID: id, GeneratedAt: generated.Format(generatedAtLayout), GeneratedBy: actor.ID, ChainHead: head, Events: len(events)}
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		m.Files = append(m.Files, ManifestFile{Path: f.path, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(f.data))})
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	files = append([]packFile{{ManifestName, append(mb, '\n')}}, files...)

	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: id + "/" + f.path, Method: zip.Deflate, Modified: generated})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// noticeEML is where a sent notice's exact RFC 5322 bytes plug into the
// pack: from the store, through Messages.
func (p *Packer) noticeEML(ctx context.Context, actor workflows.Actor, incidentID, noticeID string) ([]byte, error) {
	if p.Messages == nil {
		return nil, ErrMessageNotKept
	}
	return p.Messages(ctx, actor, incidentID, noticeID)
}

// TimelineMarkdown is the timeline as a Markdown table.
func TimelineMarkdown(id string, events []store.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Timeline of %s\n\n| # | at (UTC) | kind | actor | details | hash |\n|---|---|---|---|---|---|\n", id)
	for _, e := range events {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | `%s` |\n", e.Seq, e.At.UTC().Format("2006-01-02 15:04:05.000000"), mdCell(e.Kind),
			mdCell(e.Actor), mdCell(string(e.Data)), e.Hash)
	}
	return b.String()
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}
