package httpapi

import (
	"net/http"
	"strings"
)

// securityHeaders sets the headers every response carries. Incident data is
// sensitive (a suspected breach, personal data in facts), so nothing is
// cached by browsers or proxies, nothing is sniffed into another type (a
// timeline CSV or Markdown rendered as HTML), and nothing is framed. API
// responses also get a CSP that forbids everything: they are data, never a
// page. The console sets its own CSP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(retryAfter{w}, r)
	})
}

// retryAfter gives every 503 a Retry-After, whichever surface wrote it
// (the API, the console's pages and session store, the Slack endpoints),
// unless the handler chose its own: a client that cannot reach the
// workflow engine or the store is told when to try again.
type retryAfter struct{ http.ResponseWriter }

// RetryAfterSeconds is the Retry-After of a 503 whose handler set none.
const RetryAfterSeconds = "5"

func (w retryAfter) WriteHeader(code int) {
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w retryAfter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
