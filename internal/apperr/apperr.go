// Package apperr carries domain errors whose message is safe to show a
// person, with a code every surface maps to its own status (HTTP, Slack, CLI).
package apperr

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Codes a surface understands. Anything else is an internal error: logged in
// full, shown to the person as a short message.
const (
	Invalid      = "invalid"      // the request is malformed or breaks a rule: 400
	Unauthorized = "unauthorized" // no or bad credentials: 401
	Forbidden    = "forbidden"    // the person's roles do not allow it: 403
	NotFound     = "not_found"    // 404
	Conflict     = "conflict"     // the state forbids it now (closed incident, duplicate): 409
	Unavailable  = "unavailable"  // a dependency is down; try again: 503
	Internal     = "internal"     // 500
)

// Error is a domain error with a code and a message fit for the person who
// asked.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// New returns an Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns err's code: a domain error's own, Unavailable when a
// connection to a backend failed (BackendDown), Internal for the rest.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if BackendDown(err) {
		return Unavailable
	}
	return Internal
}

// backendDownMessage is what a person is told when the database is out of
// reach: the API answers 503 with it (and Retry-After).
const backendDownMessage = "irbot's database cannot be reached right now; try again in a few seconds (work already accepted is kept and finishes when it is back)"

// MessageOf returns the message safe to show a person.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if BackendDown(err) {
		return backendDownMessage
	}
	return "internal error"
}

// BackendDown reports whether err says a connection to a backend failed:
// refused, reset or cut (the database stopped, restarting, or unreachable).
// It is the one place that tells an outage of the database from a bug, so
// every surface answers "unavailable, try again" (HTTP 503) for it.
// Temporal's client errors are mapped by the incident service.
func BackendDown(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	// PostgreSQL's own words for it (pgconn.PgError has SQLState):
	// class 08 connection exceptions, 57P01-57P03 shutdown and start-up.
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		code := pg.SQLState()
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
	}
	return false
}

// JSONProblem says what is wrong with a JSON body in words a person can act
// on (where the syntax breaks, which field has the wrong type).
func JSONProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type.String())
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
