package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// LinkLifetime is how long a sign-in link can be used.
const LinkLifetime = 15 * time.Minute

// LinkIssuer creates sign-in links; `irbot serve` and `irbot login-link`
// use it on the same store the console reads.
type LinkIssuer struct {
	Store interface {
		CreateLoginLink(ctx context.Context, l store.LoginLink) error
	}
	Now func() time.Time
}

// NewLink stores a single-use link for userID and returns its path
// (/login/link/SECRET). Only the secret's SHA-256 is stored.
func (li LinkIssuer) NewLink(ctx context.Context, userID, createdBy string) (string, time.Time, error) {
	now := time.Now()
	if li.Now != nil {
		now = li.Now()
	}
	secret := randomToken(32)
	exp := now.Add(LinkLifetime)
	err := li.Store.CreateLoginLink(ctx, store.LoginLink{TokenHash: hashSecret(secret), UserID: userID, CreatedBy: createdBy, CreatedAt: now, ExpiresAt: exp})
	if err != nil {
		return "", time.Time{}, err
	}
	return "/login/link/" + secret, exp, nil
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// LinkURL joins a public base URL (or http://ADDR) and a link path.
func LinkURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.actor(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", page{Title: "Sign in"})
}

// loginToken exchanges an API token from the users file for a session.
func (c *Console) loginToken(w http.ResponseWriter, r *http.Request) {
	ip := remoteIP(r)
	if !c.limiter.allow(ip, c.cfg.Now()) {
		c.recordSignIn(r, "", "token", false, "rate limited")
		w.Header().Set("Retry-After", "60")
		c.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Sign in", Error: "Too many sign-in attempts from your address; wait a minute and try again."})
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		c.render(w, r, http.StatusBadRequest, "login", page{Title: "Sign in", Error: "Enter your API token."})
		return
	}
	u, ok := c.cfg.Directory.ByToken(token)
	if !ok {
		c.recordSignIn(r, "", "token", false, "unknown token")
		c.render(w, r, http.StatusUnauthorized, "login", page{Title: "Sign in", Error: "That token is not known to irbot."})
		return
	}
	_, inFile := c.cfg.Directory.ByID(u.ID())
	if err := c.startSession(r, u.Actor(), !inFile, "token"); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// linkState explains a link that cannot be used, or returns the person it
// signs in.
func (c *Console) linkState(r *http.Request) (store.LoginLink, workflows.Actor, int, string) {
	secret := r.PathValue("token")
	l, err := c.cfg.Store.LoginLink(r.Context(), hashSecret(secret))
	switch {
	case errors.Is(err, store.ErrNotFound) || len(secret) > 200:
		return l, workflows.Actor{}, http.StatusNotFound, "This sign-in link is not known. Ask for a new one (irbot login-link USER)."
	case err != nil:
		return l, workflows.Actor{}, http.StatusServiceUnavailable, "The store did not answer; try again."
	case l.UsedAt != nil:
		return l, workflows.Actor{}, http.StatusGone, "This sign-in link was already used; each link signs in once. Ask for a new one."
	case !c.cfg.Now().Before(l.ExpiresAt):
		return l, workflows.Actor{}, http.StatusGone, "This sign-in link expired (links last 15 minutes). Ask for a new one."
	}
	actor, ok := c.linkActor(r, l.UserID)
	if !ok {
		return l, workflows.Actor{}, http.StatusForbidden, "This link's user can no longer sign in here."
	}
	return l, actor, http.StatusOK, ""
}

// linkActor resolves a link's user; the local admin only on loopback
// unless IRBOT_CONSOLE_LOCAL_ADMIN=anywhere.
func (c *Console) linkActor(r *http.Request, userID string) (workflows.Actor, bool) {
	if userID == LocalAdminID {
		if !c.cfg.LocalAdmin {
			return workflows.Actor{}, false
		}
		if !c.cfg.LocalAdminAnywhere && !remoteIP(r).IsLoopback() {
			return workflows.Actor{}, false
		}
		return LocalAdmin(), true
	}
	u, ok := c.cfg.Directory.ByID(userID)
	if !ok {
		return workflows.Actor{}, false
	}
	return u.Actor(), true
}

// LocalAdmin is the first-run administrator's identity.
func LocalAdmin() workflows.Actor {
	return workflows.Actor{ID: LocalAdminID, Name: "Local admin", Roles: []string{"admin"}}
}

// linkPage shows a button rather than signing in on GET, so a chat app's
// link preview does not use the link up.
func (c *Console) linkPage(w http.ResponseWriter, r *http.Request) {
	_, actor, status, msg := c.linkState(r)
	if status != http.StatusOK {
		c.render(w, r, status, "error", page{Title: "Sign-in link", Error: msg})
		return
	}
	c.render(w, r, http.StatusOK, "link", page{Title: "Sign in", Data: map[string]any{"Who": displayName(actor), "Action": r.URL.Path}})
}

func (c *Console) linkConsume(w http.ResponseWriter, r *http.Request) {
	_, actor, status, msg := c.linkState(r)
	if status != http.StatusOK {
		c.recordSignIn(r, "", "link", false, msg)
		c.render(w, r, status, "error", page{Title: "Sign-in link", Error: msg})
		return
	}
	l, err := c.cfg.Store.ConsumeLoginLink(r.Context(), hashSecret(r.PathValue("token")), c.cfg.Now(), remoteIP(r).String())
	if errors.Is(err, store.ErrNotFound) {
		// Another request used it between our read and our UPDATE.
		c.recordSignIn(r, actor.ID, "link", false, "link already used")
		c.render(w, r, http.StatusGone, "error", page{Title: "Sign-in link", Error: "This sign-in link was already used; each link signs in once."})
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.startSession(r, actor, l.UserID == LocalAdminID, "link"); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	_ = c.sessions.Destroy(r.Context())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (c *Console) signInsPage(w http.ResponseWriter, r *http.Request, actor workflows.Actor) {
	if err := c.cfg.Service.MayReviewSignIns(actor); err != nil {
		c.fail(w, r, err)
		return
	}
	list, err := c.cfg.Store.ListSignIns(r.Context(), 200)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "signins", page{Title: "Sign-ins", Actor: actor, Data: list})
}

func displayName(a workflows.Actor) string {
	if a.Name != "" && a.Name != a.ID {
		return fmt.Sprintf("%s (%s)", a.Name, a.ID)
	}
	return a.ID
}

// UserExists says whether a login link can be made for id.
func UserExists(dir *auth.Directory, id string) bool {
	_, ok := dir.ByID(id)
	return ok
}
