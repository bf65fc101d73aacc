-- Where each incident lives in Slack, so an event from a channel (a pinned
-- message, a slash command) finds its incident on any replica.
ALTER TABLE incidents ADD COLUMN slack_channel TEXT NOT NULL DEFAULT '';
CREATE INDEX incidents_slack_channel ON incidents (slack_channel);
