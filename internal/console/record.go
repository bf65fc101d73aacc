package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Record reads and witnesses the record across incidents: the signed
// checkpoints of every chain head and the tombstones retention left. The
// incident service holds every rule (roles, the period, the key). Nil: the
// Record page says "not available in this build".
type Record interface {
	RecentCheckpoints(ctx context.Context, actor workflows.Actor, n int) ([]store.Checkpoint, error)
	Checkpoint(ctx context.Context, actor workflows.Actor, id int64) (store.Checkpoint, error)
	SignCheckpoint(ctx context.Context, actor workflows.Actor) (store.Checkpoint, error)
	Tombstones(ctx context.Context, actor workflows.Actor, f incident.TombstoneFilter) ([]store.Tombstone, error)
}

var _ Record = (*incident.Service)(nil)

// checkpointsShown is how many of the newest checkpoints the page lists.
const checkpointsShown = 20

// checkpointRow is one signed checkpoint as the Record page lists it.
type checkpointRow struct {
	ID    int64
	At    time.Time
	Heads int
	// KeyID is the start of the signing key (hex), enough to tell keys
	// apart; the downloads carry the whole key.
	KeyID string
}

type recordView struct {
	Available      bool
	Checkpoints    []checkpointRow
	CheckpointsErr string
	MaySign        bool
	Tombstones     []store.Tombstone
	TombstonesErr  string
	From, To       string
}

// mayReadRecord says whether the Record link is shown: the policy's record
// readers (the service still decides each request).
func mayReadRecord(actor workflows.Actor) bool {
	return policy.MayOnRecord(policy.ReadCheckpoints, actor.Roles) || policy.MayOnRecord(policy.ReadTombstones, actor.Roles)
}

// recordPage lists the newest signed checkpoints (with downloads of the
// exact file `irbot verify --checkpoint` reads and, for who may, a button
// that signs one now) and the tombstones of purged incidents filtered by
// purge date. A bad filter is shown beside the filter, with a 400.
func (c *Console) recordPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Record == nil {
		c.notAvailable(w, r, actor, "The record (checkpoints and tombstones)")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	v := recordView{Available: true, From: incident.ClipValue(q.Get("from")), To: incident.ClipValue(q.Get("to")), MaySign: policy.MayOnRecord(policy.SignCheckpoint, actor.Roles)}
	list, err := c.cfg.Record.RecentCheckpoints(ctx, actor, checkpointsShown)
	if err != nil {
		// Without checkpoints (no store for them) the tombstones still show;
		// anything else, a refusal above all, is the page's answer.
		if apperr.CodeOf(err) != apperr.Unavailable {
			c.fail(w, r, err)
			return
		}
		v.CheckpointsErr = apperr.MessageOf(err)
		v.MaySign = false
	}
	for _, cp := range list {
		row := checkpointRow{ID: cp.ID, At: cp.At, KeyID: cp.PublicKey}
		if len(row.KeyID) > 16 {
			row.KeyID = row.KeyID[:16]
		}
		if body, err := cp.ReadBody(); err == nil {
			row.Heads = len(body.Heads)
		}
		v.Checkpoints = append(v.Checkpoints, row)
	}
	status := http.StatusOK
	f, err := tombstoneQuery(q)
	if err == nil {
		v.Tombstones, err = c.cfg.Record.Tombstones(ctx, actor, f)
	}
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.Invalid:
			status = http.StatusBadRequest
			v.TombstonesErr = apperr.MessageOf(err)
		case apperr.Unavailable:
			v.TombstonesErr = apperr.MessageOf(err)
		default:
			c.fail(w, r, err)
			return
		}
	}
	c.render(w, r, status, "record", page{Title: "Record", Actor: actor, Nav: "record", Data: v})
}

// tombstoneQuery reads the Record page's query: from and to (dates, both
// days included, or RFC 3339 times), nothing else.
func tombstoneQuery(q url.Values) (incident.TombstoneFilter, error) {
	for k := range q {
		if !slices.Contains([]string{"from", "to"}, k) {
			return incident.TombstoneFilter{}, apperr.New(apperr.Invalid, "unknown filter %q; tombstones filter by from and to (the purge date)", incident.ClipValue(k))
		}
	}
	from, to, err := incident.ParsePeriod(q.Get("from"), q.Get("to"))
	return incident.TombstoneFilter{From: from, To: to}, err
}

// checkpointFile downloads checkpoint n as the exact bytes
// `irbot verify --checkpoint FILE` reads: the digest's text (format=text,
// the default) or the API's JSON (format=json).
func (c *Console) checkpointFile(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Record == nil {
		c.notAvailable(w, r, actor, "Checkpoints are")
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = checkpoint.FormatText
	}
	if format != checkpoint.FormatText && format != checkpoint.FormatJSON {
		c.fail(w, r, apperr.New(apperr.Invalid, "format must be text or json, got %q", incident.ClipValue(format)))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || id < 1 {
		c.fail(w, r, apperr.New(apperr.NotFound, "no checkpoint %q: checkpoints are numbered from 1", incident.ClipValue(r.PathValue("n"))))
		return
	}
	cp, err := c.cfg.Record.Checkpoint(r.Context(), actor, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	file, err := checkpoint.Encode(cp, format)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", file.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", file.Name))
	_, _ = w.Write(file.Bytes)
}

// signCheckpoint signs a checkpoint of every chain head now, through the
// service (which checks the role and the key).
func (c *Console) signCheckpoint(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if c.cfg.Record == nil {
		c.notAvailable(w, r, actor, "Checkpoints are")
		return
	}
	cp, err := c.cfg.Record.SignCheckpoint(r.Context(), actor)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	heads := 0
	if body, err := cp.ReadBody(); err == nil {
		heads = len(body.Heads)
	}
	c.sessions.Put(r.Context(), keyFlash, fmt.Sprintf("Signed checkpoint %d of %d chain heads. Download it and keep the copy away from this server.", cp.ID, heads))
	http.Redirect(w, r, "/record#checkpoints-h", http.StatusSeeOther)
}
