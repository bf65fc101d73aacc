package slack

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// menusAndPages reads rendered blocks: the clock keys whose menu they carry
// (the Notified… option's value), the clock-page buttons' values, and
// whether a block lists a clock line without a menu.
func menusAndPages(t *testing.T, blocks any) (menus []string, pages []string) {
	t.Helper()
	var raw any
	require.NoError(t, json.Unmarshal(blocksJSON(t, blocks), &raw))
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, _ := x["action_id"].(string); id != "" {
				switch BaseAction(id) {
				case ActionClockMenu:
					for _, o := range x["options"].([]any) {
						option, inc, regime, obligation := SplitClockValue(o.(map[string]any)["value"].(string))
						if option == ClockOptionNotified {
							require.Equal(t, "INC-2026-9999", inc)
							menus = append(menus, regime+"/"+obligation)
						}
					}
				case ActionClocksPage:
					pages = append(pages, x["value"].(string))
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(raw)
	return menus, pages
}

// TestEveryClockIsReachableWith27Regimes: an incident with 27 regimes has
// 108 clocks, more than a card can hold. The card gives some a menu and an
// "All clocks…" button; paging from it reaches every open clock's menu, each
// once, and every page (and the card) passes Slack's Block Kit rules.
func TestEveryClockIsReachableWith27Regimes(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st := extremeIncident(now)
	// Some clocks are settled: listed, without a menu.
	for i := 0; i < len(st.Clocks); i += 9 {
		st.Clocks[i].Status = workflows.ClockMet
	}
	open := map[string]bool{}
	for _, c := range st.Clocks {
		if c.Open() {
			open[c.Key()] = true
		}
	}
	require.Greater(t, len(open), maxClockBlocks)

	card, _ := Card(st, now)
	require.Empty(t, slackfake.CheckBlocks(blocksJSON(t, card), slackfake.SurfaceMessage))
	onCard, pageButtons := menusAndPages(t, card)
	require.Less(t, len(onCard), len(open), "not every clock fits on the card")
	require.Equal(t, []string{Value(st.ID, "0")}, pageButtons, "the card offers every clock, a page at a time")

	reached := map[string]int{}
	pages := 0
	for next := "0"; next != ""; pages++ {
		require.Less(t, pages, 20, "paging must end")
		n, err := strconv.Atoi(next)
		require.NoError(t, err)
		blocks, fallback := ClocksPage(st, now, n)
		require.NotEmpty(t, fallback)
		require.Empty(t, slackfake.CheckBlocks(blocksJSON(t, blocks), slackfake.SurfaceMessage), "page %d", n)
		menus, nav := menusAndPages(t, blocks)
		for _, k := range menus {
			reached[k]++
		}
		next = ""
		for _, v := range nav {
			_, p := SplitValue(v)
			if q, _ := strconv.Atoi(p); q == n+1 {
				next = p
			}
			if n > 0 {
				require.Contains(t, nav, Value(st.ID, strconv.Itoa(n-1)), "a way back from page %d", n)
			}
		}
	}
	require.Equal(t, (len(st.Clocks)+ClocksPageSize-1)/ClocksPageSize, pages, "every clock is on a page, settled ones too")
	for k := range open {
		require.Equal(t, 1, reached[k], "open clock %s has its menu on exactly one page", k)
	}
	require.Len(t, reached, len(open), "settled clocks have no menu")

	// A page past the end shows the last one; a closed incident lists its
	// clocks without menus.
	last, _ := ClocksPage(st, now, 99)
	lastAgain, _ := ClocksPage(st, now, pages-1)
	require.Equal(t, blocksJSON(t, lastAgain), blocksJSON(t, last))
	st.Status = workflows.StatusClosed
	closedPage, _ := ClocksPage(st, now, 0)
	menus, _ := menusAndPages(t, closedPage)
	require.Empty(t, menus)
}
