package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// publishState remembers, in this process, what the publisher did for each
// incident, so a retried activity does not create, post or announce twice.
// Slack itself is the record across restarts (the channel by name, the card
// by its marker).
type publishState struct {
	mu         sync.Mutex
	byIncident map[string]*published
	byChannel  map[string]string
	locks      map[string]*sync.Mutex
	dmed       map[string]time.Time
	// names are channel names being created, by incident: another
	// incident's name_taken must not adopt a channel whose create is still
	// in flight.
	names map[string]string
	// threads are the clock alert threads, by "incident|regime/obligation".
	threads map[string]string
	// instructed are when a new commander was sent their instructions, by
	// "incident|user": the welcome Slack's member_joined_channel triggers
	// right after irbot invites them would say the same again.
	instructed map[string]time.Time
	// threadLookups are the clocks whose thread this process has looked
	// for in the channel's history: at most once each.
	threadLookups map[string]bool
}

func (s *publishState) thread(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.threads[key]
}

// firstThreadLookup is true the first time it is asked about key.
func (s *publishState) firstThreadLookup(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threadLookups[key] {
		return false
	}
	s.threadLookups[key] = true
	return true
}

func (s *publishState) setThread(key, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads[key] = ts
}

type published struct {
	channelID, name, cardTS, topic string
	announced                      bool
	// lastCard is the card last posted or updated (blocks and text as
	// JSON): an identical render is not sent again.
	lastCard string
	invited  map[string]bool
	// last is the state last published in this process: the channel is
	// told what changed since (talk.go).
	last *workflows.IncidentState
	// announceTS is the announcement's message: status updates are
	// threaded under it.
	announceTS string
}

func newPublishState() *publishState {
	return &publishState{byIncident: map[string]*published{}, byChannel: map[string]string{}, locks: map[string]*sync.Mutex{}, dmed: map[string]time.Time{}, names: map[string]string{}, threads: map[string]string{}, instructed: map[string]time.Time{}, threadLookups: map[string]bool{}}
}

func (s *publishState) lock(id string) func() {
	s.mu.Lock()
	l, ok := s.locks[id]
	if !ok {
		l = &sync.Mutex{}
		s.locks[id] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (s *publishState) get(id string) *published {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byIncident[id]
	if !ok {
		p = &published{invited: map[string]bool{}}
		s.byIncident[id] = p
	}
	return p
}

func (s *publishState) setChannel(id, channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byChannel[channelID] = id
}

func (s *publishState) incidentOf(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byChannel[channelID]
}

// claim marks name as being created for incident id; false when another
// incident of this process holds it.
func (s *publishState) claim(name, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner, ok := s.names[name]; ok && owner != id {
		return false
	}
	s.names[name] = id
	return true
}

// firstDM reports whether key has not been DMed in the last day (so a dead
// channel is reported to the commander once, not on every state change).
func (s *publishState) firstDM(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.dmed[key]; ok && now.Sub(at) < 24*time.Hour {
		return false
	}
	s.dmed[key] = now
	return true
}

// setInstructed notes that user was just sent incident id's commander
// instructions.
func (s *publishState) setInstructed(id, user string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.instructed[id+"|"+user] = now
}

// instructedSince reports whether user was sent incident id's commander
// instructions after t.
func (s *publishState) instructedSince(id, user string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.instructed[id+"|"+user]
	return ok && at.After(t)
}

// Publish implements activities.Publisher: the first call creates the
// incident channel, invites people, sets the topic, posts and pins the card
// and announces the incident; later calls re-render the card from state.
// Permanent Slack failures come back non-retryable.
func (b *Bot) Publish(ctx context.Context, in workflows.PublishInput) (workflows.SlackRefs, error) {
	st := in.State
	unlock := b.published.lock(st.ID)
	defer unlock()
	refs, err := b.publish(ctx, st)
	if err != nil {
		if IsPermanent(err) {
			b.reportPermanent(ctx, st, err)
		}
		return refs, ActivityError(err)
	}
	return refs, nil
}

func (b *Bot) publish(ctx context.Context, st workflows.IncidentState) (workflows.SlackRefs, error) {
	p := b.published.get(st.ID)
	if st.Slack != nil && st.Slack.ChannelID != "" {
		p.channelID, p.name = st.Slack.ChannelID, st.Slack.ChannelName
		if st.Slack.CardTS != "" {
			p.cardTS = st.Slack.CardTS
		}
	}
	fresh := false
	if p.channelID == "" {
		ch, created, err := b.createChannel(ctx, st)
		if err != nil {
			return workflows.SlackRefs{}, err
		}
		p.channelID, p.name, fresh = ch.ID, ch.Name, created
		if !created && p.cardTS == "" {
			p.cardTS = b.findCard(ctx, ch.ID, st.ID)
		}
	}
	b.published.setChannel(st.ID, p.channelID)
	refs := workflows.SlackRefs{ChannelID: p.channelID, ChannelName: p.name}

	// People first, so the card's first notification reaches them.
	b.inviteAll(ctx, st, p)
	b.setTopic(ctx, st, p)

	blocks, fallback := tpl.Card(st, b.now())
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(fallback, false)}
	rendered := renderedCard(blocks, fallback)
	if p.cardTS != "" && rendered == p.lastCard {
		refs.CardTS = p.cardTS
		b.talk(ctx, st, p)
		return refs, nil // Slack already shows exactly this
	}
	if p.cardTS != "" {
		err := b.api.Update(ctx, p.channelID, p.cardTS, opts...)
		switch ErrCode(err) {
		case "":
		case "message_not_found", "cant_update_message":
			p.cardTS = "" // someone deleted the card: post a new one
		default:
			return refs, err
		}
		if p.cardTS != "" {
			p.lastCard = rendered
		}
	}
	if p.cardTS == "" {
		ts, err := b.api.Post(ctx, p.channelID, opts...)
		if err != nil {
			return refs, err
		}
		p.cardTS, p.lastCard = ts, rendered
		if err := b.api.Pin(ctx, p.channelID, ts); err != nil {
			b.log.Warn("slack pin of the card failed", "incident", st.ID, "code", ErrCode(err))
		}
	}
	refs.CardTS = p.cardTS
	if fresh || !p.announced {
		b.announceOnce(ctx, st, p)
	}
	b.talk(ctx, st, p)
	return refs, nil
}

// renderedCard is what a card render would send, to compare with the last.
func renderedCard(blocks []slack.Block, fallback string) string {
	b, err := json.Marshal(blocks)
	if err != nil {
		return ""
	}
	return fallback + "\x00" + string(b)
}

// createChannel creates the incident channel under the first free name. A
// name_taken may be our own channel from an attempt whose answer was lost:
// that one is adopted instead of making a second.
func (b *Bot) createChannel(ctx context.Context, st workflows.IncidentState) (*slack.Channel, bool, error) {
	for n := 1; n <= 200; n++ {
		name := ChannelName(st, n)
		if !b.published.claim(name, st.ID) {
			continue
		}
		ch, err := b.api.CreateChannel(ctx, name, !st.PublicChannel)
		if err == nil {
			return ch, true, nil
		}
		if ErrCode(err) != "name_taken" {
			return nil, false, err
		}
		existing, ferr := b.api.FindChannel(ctx, name)
		if ferr != nil {
			return nil, false, ferr
		}
		if existing != nil && b.ours(ctx, existing, st) {
			return existing, false, nil
		}
	}
	return nil, false, &Error{Method: "conversations.create", Code: "name_taken", Permanent: true}
}

// ours reports whether an existing channel is this incident's, created by
// an earlier attempt: irbot created it, is in it, and its topic names this
// incident or is not set yet.
func (b *Bot) ours(ctx context.Context, ch *slack.Channel, st workflows.IncidentState) bool {
	if !ch.IsMember {
		return false
	}
	if owner := b.published.incidentOf(ch.ID); owner != "" {
		return owner == st.ID
	}
	botUser, _ := b.self(ctx)
	if botUser != "" && ch.Creator != "" && ch.Creator != botUser {
		return false
	}
	topic := ch.Topic.Value
	if strings.Contains(topic, st.ID) {
		return true
	}
	if topic != "" {
		return false
	}
	created := time.Time(ch.Created.Time())
	return created.IsZero() || !created.Before(st.DeclaredAt.Add(-time.Minute))
}

// findCard looks for a card posted by an earlier attempt.
func (b *Bot) findCard(ctx context.Context, channelID, incidentID string) string {
	msgs, err := b.api.History(ctx, channelID, 50)
	if err != nil {
		return ""
	}
	marker := tpl.CardMarker(incidentID)
	for _, m := range msgs {
		if strings.HasPrefix(m.Text, marker) {
			return m.Timestamp
		}
	}
	return ""
}

// members are the people who belong in the channel: the declarer and every
// role holder that is a Slack user.
func members(st workflows.IncidentState) []string {
	var out []string
	add := func(id string) {
		if tpl.LooksLikeSlackUser(id) && !contains(out, id) {
			out = append(out, id)
		}
	}
	add(st.DeclaredBy.ID)
	for _, r := range st.Roles {
		add(r.User)
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (b *Bot) inviteAll(ctx context.Context, st workflows.IncidentState, p *published) {
	for _, u := range members(st) {
		if p.invited[u] {
			continue
		}
		if err := b.api.Invite(ctx, p.channelID, u); err != nil {
			// One person who cannot be invited (deactivated, a guest) must
			// not stop the channel from working.
			b.log.Warn("slack invite failed", "incident", st.ID, "user", u, "code", ErrCode(err))
			if !IsPermanent(err) {
				continue
			}
		}
		p.invited[u] = true
	}
}

// Topic is the incident channel's topic: severity · phase · incident ID.
func Topic(st workflows.IncidentState) string {
	phase := st.Phase
	for _, ph := range st.Phases {
		if ph.ID == st.Phase && ph.Title != "" {
			phase = ph.Title
		}
	}
	t := fmt.Sprintf("%s · %s · %s", st.Severity, phase, st.ID)
	if st.Status == workflows.StatusClosed {
		t = fmt.Sprintf("closed · %s", st.ID)
	}
	if st.Mode == workflows.ModeDrill {
		t = "DRILL · " + t
	}
	return tpl.Truncate(t, 250)
}

func (b *Bot) setTopic(ctx context.Context, st workflows.IncidentState, p *published) {
	topic := Topic(st)
	if p.topic == topic {
		return
	}
	if err := b.api.SetTopic(ctx, p.channelID, topic); err != nil {
		b.log.Warn("slack topic failed", "incident", st.ID, "code", ErrCode(err))
		return
	}
	p.topic = topic
}

// announceOnce posts the announcement: live incidents only (a drill never
// messages anyone outside its own channel).
func (b *Bot) announceOnce(ctx context.Context, st workflows.IncidentState, p *published) {
	if p.announced || b.announce == "" || st.Mode == workflows.ModeDrill {
		p.announced = true
		return
	}
	blocks, fallback := tpl.Announcement(st, p.channelID, st.PublicChannel)
	ts, err := b.api.Post(ctx, b.announce, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(fallback, false))
	if err == nil {
		p.announceTS = ts
	}
	if err != nil {
		b.log.Warn("slack announcement failed", "incident", st.ID, "code", ErrCode(err))
		if !IsPermanent(err) {
			return // try again on the next publish
		}
		note := fmt.Sprintf(":warning: irbot could not announce this incident in <#%s>: %s", b.announce, err.Error())
		_, _ = b.api.Post(ctx, p.channelID, slack.MsgOptionText(note, false))
	}
	p.announced = true
}

// commander is who hears about problems: the commander, else the declarer.
func commander(st workflows.IncidentState) string {
	for _, r := range st.Roles {
		if r.Role == "commander" && tpl.LooksLikeSlackUser(r.User) {
			return r.User
		}
	}
	if tpl.LooksLikeSlackUser(st.DeclaredBy.ID) {
		return st.DeclaredBy.ID
	}
	return ""
}

// reportPermanent tells the commander, once a day per problem, that Slack
// refused for good; the workflow records it on the timeline.
func (b *Bot) reportPermanent(ctx context.Context, st workflows.IncidentState, err error) {
	who := commander(st)
	if who == "" || st.Mode == workflows.ModeDrill {
		return
	}
	if !b.published.firstDM(st.ID+"|"+ErrCode(err), b.now()) {
		return
	}
	text := fmt.Sprintf(":warning: irbot cannot update incident %s in Slack: %s. The incident goes on; its timeline has the details.", st.ID, err.Error())
	if derr := b.api.DM(ctx, who, slack.MsgOptionText(text, false)); derr != nil {
		b.log.Warn("could not tell the commander about a Slack failure", "incident", st.ID, "code", ErrCode(derr))
	}
}
