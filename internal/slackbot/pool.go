package slackbot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs slow work (service calls, Slack API calls) off the request path
// on a fixed number of workers. Its queue is bounded: when it is full, submit
// says so at once instead of blocking the acknowledgement.
type pool struct {
	jobs   chan func(context.Context)
	quit   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	once   sync.Once
}

func newPool(workers, queue int) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{jobs: make(chan func(context.Context), queue), quit: make(chan struct{}), ctx: ctx, cancel: cancel}
	for range workers {
		p.wg.Go(p.worker)
	}
	return p
}

func (p *pool) worker() {
	for {
		select {
		case job := <-p.jobs:
			job(p.ctx)
		case <-p.quit:
			// Finish what was accepted, then stop.
			for {
				select {
				case job := <-p.jobs:
					job(p.ctx)
				default:
					return
				}
			}
		}
	}
}

// submit queues job; false means the queue is full (or the pool stopped).
func (p *pool) submit(job func(context.Context)) bool {
	if p.closed.Load() {
		return false
	}
	select {
	case p.jobs <- job:
		return true
	default:
		return false
	}
}

// close stops taking work and lets accepted work finish for up to grace,
// then cancels what is still running.
func (p *pool) close(grace time.Duration) {
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.quit)
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(grace):
			p.cancel()
			<-done
		}
		p.cancel()
	})
}
