-- +goose Up
-- A request is of a kind: a creation ('create', every request so far), or a
-- change of an instance the portal made (domain.Kinds lists them, with their
-- fields and rules; the database keeps what they asked). A change request
-- names its instance in instance_id from the start, so that an instance's
-- requests are found the same way whatever their kind.
ALTER TABLE requests
    ADD COLUMN kind   text  NOT NULL DEFAULT 'create',
    -- What the change asks, as validated (domain.Change): never a password,
    -- which is sealed in password_sealed as a creation's is. A creation keeps
    -- here the whitelist to set once its instance is Normal.
    ADD COLUMN change jsonb NOT NULL DEFAULT '{}';

-- One change at a time per instance: while one is pending, approved or
-- provisioning, another is refused by this index, whoever submits it and
-- from wherever (two browsers at once: one insert wins).
CREATE UNIQUE INDEX requests_one_change_key ON requests (instance_id)
    WHERE kind <> 'create' AND status IN ('pending_approval', 'approved', 'provisioning');

-- The instance's row is made by its creation only: a change that succeeded
-- names the instance too, but made none.
DROP TRIGGER requests_instance_row ON requests;
CREATE TRIGGER requests_instance_row
    AFTER INSERT OR UPDATE OF status, instance_id, instance_status, connection_domain, connection_port, private_address
    ON requests FOR EACH ROW
    WHEN (NEW.status = 'succeeded' AND NEW.instance_id <> '' AND NEW.kind = 'create')
    EXECUTE FUNCTION instances_from_request();

-- The follow-up sweep also follows an instance whose class is changing
-- (a modify_spec is done when the instance is Normal with the new class).
DROP INDEX requests_following_idx;
CREATE INDEX requests_following_idx ON requests (instance_checked_at NULLS FIRST, id)
    WHERE status = 'succeeded' AND instance_status IN ('', 'Creating', 'Changing');

-- A team's default whitelist prefills the creation form's SecurityIps.
ALTER TABLE teams ADD COLUMN default_whitelist text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE teams DROP COLUMN default_whitelist;
DROP INDEX requests_following_idx;
CREATE INDEX requests_following_idx ON requests (instance_checked_at NULLS FIRST, id)
    WHERE status = 'succeeded' AND instance_status IN ('', 'Creating');
DROP TRIGGER requests_instance_row ON requests;
CREATE TRIGGER requests_instance_row
    AFTER INSERT OR UPDATE OF status, instance_id, instance_status, connection_domain, connection_port, private_address
    ON requests FOR EACH ROW
    WHEN (NEW.status = 'succeeded' AND NEW.instance_id <> '')
    EXECUTE FUNCTION instances_from_request();
DROP INDEX requests_one_change_key;
ALTER TABLE requests DROP COLUMN change, DROP COLUMN kind;
