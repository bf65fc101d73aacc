package slackbot

import (
	"context"
	"sync"
	"time"
)

// pool runs slow work (service calls, Slack API calls) off the request path
// on a fixed number of workers. Its queue is bounded: when it is full, Submit
// says so at once instead of blocking the acknowledgement.
type pool struct {
	jobs   chan func(context.Context)
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func newPool(workers, queue int) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{jobs: make(chan func(context.Context), queue), ctx: ctx, cancel: cancel}
	for range workers {
		p.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-p.jobs:
					job(ctx)
				}
			}
		})
	}
	return p
}

// submit queues job; false means the queue is full (or the pool stopped).
func (p *pool) submit(job func(context.Context)) bool {
	if p.ctx.Err() != nil {
		return false
	}
	select {
	case p.jobs <- job:
		return true
	default:
		return false
	}
}

// close stops taking work, gives running jobs up to grace to finish, then
// cancels them.
func (p *pool) close(grace time.Duration) {
	p.once.Do(func() {
		done := make(chan struct{})
		go func() {
			// Drain: the workers finish what is queued while ctx is live.
			for len(p.jobs) > 0 {
				select {
				case <-time.After(10 * time.Millisecond):
				case <-p.ctx.Done():
				}
				if p.ctx.Err() != nil {
					break
				}
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(grace):
		}
		p.cancel()
		p.wg.Wait()
	})
}
