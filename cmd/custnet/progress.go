package main

import (
	"context"
	"io"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/custnet/custnet/engine"
)

// progressUI turns engine progress into mpb bars on a terminal. It exists
// only when stderr is a terminal; otherwise the CLI stays quiet.
type progressUI struct {
	p    *mpb.Progress
	mu   sync.Mutex
	bars map[string]*mpb.Bar
}

func newProgressUI(ctx context.Context, w io.Writer) *progressUI {
	return &progressUI{p: mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40)), bars: map[string]*mpb.Bar{}}
}

func (u *progressUI) report(p engine.Progress) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, ok := u.bars[p.Step]
	if !ok {
		if p.Final {
			return
		}
		b = u.p.AddBar(p.Total,
			mpb.PrependDecorators(decor.Name(p.Step, decor.WCSyncSpaceR), decor.CurrentNoUnit("%d")),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
			mpb.BarRemoveOnComplete())
		u.bars[p.Step] = b
	}
	if p.Total < 0 {
		b.SetTotal(p.Done+1, false)
	} else {
		b.SetTotal(p.Total, false)
	}
	b.SetCurrent(p.Done)
	if p.Final {
		b.SetTotal(p.Done, true)
		delete(u.bars, p.Step)
	}
}

func (u *progressUI) wait() {
	u.mu.Lock()
	for _, b := range u.bars {
		b.Abort(true)
	}
	u.bars = map[string]*mpb.Bar{}
	u.mu.Unlock()
	u.p.Wait()
}
