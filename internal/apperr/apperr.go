// Package apperr carries domain errors whose message is safe to show a
// person, with a code every surface maps to its own status (HTTP, Slack, CLI).
package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// CodeOf returns err's code, Internal for errors that are not domain errors.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message safe to show a person.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
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
