package tinyhttp

import (
	"errors"
	"fmt"
	"time"

	"github.com/panjf2000/ants/v2"
)

// DefaultWorkerIdleTimeout is how long an idle worker goroutine waits for a
// new task before it exits: 5 s, like tiny-http's task pool.
const DefaultWorkerIdleTimeout = 5 * time.Second

// poolReleaseTimeout bounds how long Close waits for the pool's own
// goroutines after every task has returned.
const poolReleaseTimeout = 5 * time.Second

// workerPool runs tasks on reused goroutines: elastic (no upper bound, a
// worker per running task), with idle workers expiring after a while. It
// knows nothing of HTTP.
type workerPool struct {
	ants *ants.Pool
}

// newWorkerPool makes a pool whose idle workers expire after expiry. ants
// reaps them between one and two expiry periods after they went idle.
func newWorkerPool(expiry time.Duration) (*workerPool, error) {
	p, err := ants.NewPool(-1,
		ants.WithExpiryDuration(expiry),
		ants.WithNonblocking(true),
		ants.WithLogger(discardLogger{}),
		// A task recovers its own panics (see submit); this catches anything
		// that slips past, so that a panic never kills the process.
		ants.WithPanicHandler(func(any) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("tinyhttp: worker pool: %w", err)
	}
	return &workerPool{ants: p}, nil
}

// submit runs task on a worker. If task panics, onPanic gets the value on
// the same worker, and the worker lives on.
func (p *workerPool) submit(task func(), onPanic func(any)) error {
	return p.ants.Submit(func() {
		defer func() {
			if v := recover(); v != nil {
				onPanic(v)
			}
		}()
		task()
	})
}

// running returns the number of live workers, idle ones included.
func (p *workerPool) running() int { return p.ants.Running() }

// release stops the pool and waits for its workers and housekeeping
// goroutines to exit.
func (p *workerPool) release() error {
	if err := p.ants.ReleaseTimeout(poolReleaseTimeout); err != nil && !errors.Is(err, ants.ErrPoolClosed) {
		return fmt.Errorf("tinyhttp: worker pool: %w", err)
	}
	return nil
}

// discardLogger silences ants' own logging; the server reports what matters.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
