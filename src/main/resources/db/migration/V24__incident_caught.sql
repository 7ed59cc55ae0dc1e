-- Where a host stopped the version, when a host's report rolled it back (JSON of RolloutEvent.HostFailed: host, the
-- agent's typed failure, whether any user had been served): the postmortem reads it as a type, not from the
-- analysis numbers by key.
ALTER TABLE incidents ADD COLUMN caught TEXT;
