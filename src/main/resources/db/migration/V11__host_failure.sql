-- Why a host's failed version failed, as the agent reported it (JSON of AgentProtocol.HostFailure: stage, message,
-- the failed preflight probe's answer); apply_error keeps the line for people.
ALTER TABLE hosts ADD COLUMN failure TEXT;
