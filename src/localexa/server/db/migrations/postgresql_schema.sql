-- localexa PostgreSQL schema at revision 0013_big_state_indexes
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)
;
CREATE TABLE clock_state (
    id SERIAL NOT NULL, 
    offset_seconds FLOAT NOT NULL, 
    CONSTRAINT pk_clock_state PRIMARY KEY (id)
)
;
CREATE TABLE customers (
    id VARCHAR(128) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    email VARCHAR(320) NOT NULL, 
    password_hash VARCHAR(256) NOT NULL, 
    region VARCHAR(2) NOT NULL, 
    postal_code VARCHAR(32), 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_customers PRIMARY KEY (id), 
    CONSTRAINT uq_customers_email UNIQUE (email)
)
;
CREATE TABLE faults (
    id VARCHAR(64) NOT NULL, 
    method VARCHAR(16), 
    path TEXT NOT NULL, 
    status INTEGER, 
    delay_ms INTEGER NOT NULL, 
    probability FLOAT NOT NULL, 
    remaining INTEGER, 
    count INTEGER, 
    retry_after INTEGER, 
    customer VARCHAR(200), 
    skill VARCHAR(200), 
    region VARCHAR(2), 
    seed BIGINT, 
    matched INTEGER NOT NULL, 
    fired INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_faults PRIMARY KEY (id)
)
;
CREATE TABLE journal_entries (
    id BIGSERIAL NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    direction VARCHAR(8) NOT NULL, 
    method VARCHAR(16) NOT NULL, 
    path TEXT NOT NULL, 
    query TEXT, 
    url TEXT, 
    route TEXT, 
    status INTEGER, 
    latency_ms FLOAT NOT NULL, 
    request_id VARCHAR(64), 
    caller VARCHAR(200), 
    customer VARCHAR(200), 
    skill VARCHAR(200), 
    region VARCHAR(2), 
    request_headers JSON NOT NULL, 
    request_body TEXT, 
    response_headers JSON NOT NULL, 
    response_body TEXT, 
    error TEXT, 
    fault_id VARCHAR(64), 
    CONSTRAINT pk_journal_entries PRIMARY KEY (id)
)
;
CREATE INDEX ix_journal_entries_at ON journal_entries (at)
;
CREATE INDEX ix_journal_entries_customer ON journal_entries (customer)
;
CREATE INDEX ix_journal_entries_request_id ON journal_entries (request_id)
;
CREATE INDEX ix_journal_entries_skill ON journal_entries (skill)
;
CREATE TABLE lwa_clients (
    client_id VARCHAR(200) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    secret_hash VARCHAR(64) NOT NULL, 
    secret_sealed TEXT, 
    redirect_uris JSON NOT NULL, 
    skill_id VARCHAR(200), 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_lwa_clients PRIMARY KEY (client_id)
)
;
CREATE INDEX ix_lwa_clients_skill_id ON lwa_clients (skill_id)
;
CREATE TABLE lwa_authorization_codes (
    code_hash VARCHAR(64) NOT NULL, 
    kind VARCHAR(16) NOT NULL, 
    client_id VARCHAR(200) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    redirect_uri TEXT, 
    scopes TEXT NOT NULL, 
    code_challenge VARCHAR(256), 
    code_challenge_method VARCHAR(8), 
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    used_at TIMESTAMP WITH TIME ZONE, 
    grant_id VARCHAR(64) NOT NULL, 
    skill_id VARCHAR(200), 
    CONSTRAINT pk_lwa_authorization_codes PRIMARY KEY (code_hash), 
    CONSTRAINT fk_lwa_authorization_codes_client_id_lwa_clients FOREIGN KEY(client_id) REFERENCES lwa_clients (client_id) ON DELETE CASCADE, 
    CONSTRAINT fk_lwa_authorization_codes_user_id_customers FOREIGN KEY(user_id) REFERENCES customers (id) ON DELETE CASCADE
)
;
CREATE TABLE lwa_tokens (
    token_hash VARCHAR(64) NOT NULL, 
    kind VARCHAR(8) NOT NULL, 
    client_id VARCHAR(200) NOT NULL, 
    user_id VARCHAR(128), 
    scopes TEXT NOT NULL, 
    grant_id VARCHAR(64) NOT NULL, 
    issued_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE, 
    revoked BOOLEAN NOT NULL, 
    CONSTRAINT pk_lwa_tokens PRIMARY KEY (token_hash), 
    CONSTRAINT fk_lwa_tokens_client_id_lwa_clients FOREIGN KEY(client_id) REFERENCES lwa_clients (client_id) ON DELETE CASCADE, 
    CONSTRAINT fk_lwa_tokens_user_id_customers FOREIGN KEY(user_id) REFERENCES customers (id) ON DELETE CASCADE
)
;
CREATE INDEX ix_lwa_tokens_grant_id ON lwa_tokens (grant_id)
;
CREATE INDEX ix_lwa_tokens_user_id ON lwa_tokens (user_id)
;
CREATE TABLE thread_networks (
    id SERIAL NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    extended_pan_id VARCHAR(16) NOT NULL, 
    network_name VARCHAR(64) NOT NULL, 
    network_key_sealed TEXT NOT NULL, 
    pskc_sealed TEXT, 
    pan_id VARCHAR(4), 
    channel_number INTEGER, 
    default_border_agent_id VARCHAR(64), 
    created_by_skill_id VARCHAR(200), 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_thread_networks PRIMARY KEY (id), 
    CONSTRAINT fk_thread_networks_user_id_customers FOREIGN KEY(user_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT uq_thread_networks_identity UNIQUE (user_id, extended_pan_id, network_name)
)
;
CREATE INDEX ix_thread_networks_keyset ON thread_networks (user_id, extended_pan_id, id)
;
CREATE TABLE vendors (
    id VARCHAR(64) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    owner_user_id VARCHAR(128) NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_vendors PRIMARY KEY (id), 
    CONSTRAINT fk_vendors_owner_user_id_customers FOREIGN KEY(owner_user_id) REFERENCES customers (id) ON DELETE CASCADE
)
;
CREATE INDEX ix_vendors_owner_user_id ON vendors (owner_user_id)
;
CREATE TABLE skills (
    id VARCHAR(200) NOT NULL, 
    vendor_id VARCHAR(64) NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    stages JSON NOT NULL, 
    endpoint TEXT NOT NULL, 
    permissions JSON NOT NULL, 
    account_linking JSON, 
    account_linking_secret_sealed TEXT, 
    messaging_client_id VARCHAR(200) NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_skills PRIMARY KEY (id), 
    CONSTRAINT fk_skills_messaging_client_id_lwa_clients FOREIGN KEY(messaging_client_id) REFERENCES lwa_clients (client_id), 
    CONSTRAINT fk_skills_vendor_id_vendors FOREIGN KEY(vendor_id) REFERENCES vendors (id) ON DELETE CASCADE
)
;
CREATE INDEX ix_skills_vendor_id ON skills (vendor_id)
;
CREATE TABLE after_link_status (
    customer_id VARCHAR(128) NOT NULL, 
    skill_id VARCHAR(200) NOT NULL, 
    discovery_status VARCHAR(16) NOT NULL, 
    discovery_message TEXT, 
    discovery_at TIMESTAMP WITH TIME ZONE, 
    accept_grant_status VARCHAR(16) NOT NULL, 
    accept_grant_message TEXT, 
    accept_grant_at TIMESTAMP WITH TIME ZONE, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_after_link_status PRIMARY KEY (customer_id, skill_id), 
    CONSTRAINT fk_after_link_status_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT fk_after_link_status_skill_id_skills FOREIGN KEY(skill_id) REFERENCES skills (id) ON DELETE CASCADE
)
;
CREATE TABLE capability_evaluations (
    id VARCHAR(36) NOT NULL, 
    skill_id VARCHAR(200) NOT NULL, 
    customer_id VARCHAR(128) NOT NULL, 
    stage VARCHAR(16) NOT NULL, 
    endpoint_id VARCHAR(256) NOT NULL, 
    test_plan_id VARCHAR(64) NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    active_key VARCHAR(500), 
    error_code VARCHAR(64), 
    error_message TEXT, 
    test_plan_name VARCHAR(200), 
    total_cases INTEGER NOT NULL, 
    next_case INTEGER NOT NULL, 
    attempts INTEGER NOT NULL, 
    lease_owner VARCHAR(200), 
    lease_expires_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    ended_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_capability_evaluations PRIMARY KEY (id), 
    CONSTRAINT fk_capability_evaluations_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT fk_capability_evaluations_skill_id_skills FOREIGN KEY(skill_id) REFERENCES skills (id) ON DELETE CASCADE, 
    CONSTRAINT uq_capability_evaluations_active_key UNIQUE (active_key)
)
;
CREATE INDEX ix_capability_evaluations_customer_id ON capability_evaluations (customer_id)
;
CREATE INDEX ix_capability_evaluations_skill_stage_created ON capability_evaluations (skill_id, stage, created_at, id)
;
CREATE INDEX ix_capability_evaluations_status_lease ON capability_evaluations (status, lease_expires_at)
;
CREATE TABLE discovered_endpoints (
    customer_id VARCHAR(128) NOT NULL, 
    skill_id VARCHAR(200) NOT NULL, 
    endpoint_id VARCHAR(256) NOT NULL, 
    friendly_name VARCHAR(200) NOT NULL, 
    description TEXT, 
    manufacturer_name VARCHAR(200), 
    display_categories JSON NOT NULL, 
    capabilities JSON NOT NULL, 
    cookie JSON NOT NULL, 
    state JSON NOT NULL, 
    discovered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    state_updated_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_discovered_endpoints PRIMARY KEY (customer_id, skill_id, endpoint_id), 
    CONSTRAINT fk_discovered_endpoints_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT fk_discovered_endpoints_skill_id_skills FOREIGN KEY(skill_id) REFERENCES skills (id) ON DELETE CASCADE
)
;
CREATE TABLE enablements (
    id VARCHAR(64) NOT NULL, 
    customer_id VARCHAR(128) NOT NULL, 
    skill_id VARCHAR(200) NOT NULL, 
    stage VARCHAR(16) NOT NULL, 
    skill_user_id VARCHAR(200) NOT NULL, 
    link_status VARCHAR(16) NOT NULL, 
    access_token_sealed TEXT, 
    refresh_token_sealed TEXT, 
    access_token_expires_at TIMESTAMP WITH TIME ZONE, 
    linked_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_enablements PRIMARY KEY (id), 
    CONSTRAINT fk_enablements_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT fk_enablements_skill_id_skills FOREIGN KEY(skill_id) REFERENCES skills (id) ON DELETE CASCADE, 
    CONSTRAINT uq_enablements_customer_skill UNIQUE (customer_id, skill_id), 
    CONSTRAINT uq_enablements_skill_user_id UNIQUE (skill_user_id)
)
;
CREATE INDEX ix_enablements_skill_id ON enablements (skill_id)
;
CREATE TABLE skill_messages (
    id BIGSERIAL NOT NULL, 
    at TIMESTAMP WITH TIME ZONE NOT NULL, 
    customer_id VARCHAR(128) NOT NULL, 
    skill_id VARCHAR(200) NOT NULL, 
    direction VARCHAR(16) NOT NULL, 
    exchange_id VARCHAR(36) NOT NULL, 
    namespace VARCHAR(200), 
    name VARCHAR(200), 
    endpoint_id VARCHAR(256), 
    correlation_token TEXT, 
    body JSON, 
    verdict JSON, 
    error JSON, 
    latency_ms FLOAT, 
    CONSTRAINT pk_skill_messages PRIMARY KEY (id), 
    CONSTRAINT fk_skill_messages_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE CASCADE, 
    CONSTRAINT fk_skill_messages_skill_id_skills FOREIGN KEY(skill_id) REFERENCES skills (id) ON DELETE CASCADE
)
;
CREATE INDEX ix_skill_messages_customer_skill ON skill_messages (customer_id, skill_id, id)
;
CREATE INDEX ix_skill_messages_exchange_id ON skill_messages (exchange_id)
;
CREATE TABLE capability_test_case_results (
    evaluation_id VARCHAR(36) NOT NULL, 
    ordinal INTEGER NOT NULL, 
    name VARCHAR(200) NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    directive JSON, 
    actual_response JSON, 
    expected_response JSON, 
    actual_states JSON NOT NULL, 
    expected_states JSON NOT NULL, 
    error JSON, 
    CONSTRAINT pk_capability_test_case_results PRIMARY KEY (evaluation_id, ordinal), 
    CONSTRAINT fk_capability_test_case_results_evaluation_id_capabilit_3d82 FOREIGN KEY(evaluation_id) REFERENCES capability_evaluations (id) ON DELETE CASCADE
)
;
ALTER TABLE capability_test_case_results ADD COLUMN reasons JSON
;
UPDATE alembic_version SET version_num='0002_case_reasons' WHERE alembic_version.version_num = '0001_initial'
;
CREATE TABLE console_sign_outs (
    session_hash VARCHAR(64) NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_console_sign_outs PRIMARY KEY (session_hash)
)
;
CREATE INDEX ix_console_sign_outs_expires_at ON console_sign_outs (expires_at)
;
UPDATE alembic_version SET version_num='0003_console_sign_outs' WHERE alembic_version.version_num = '0002_case_reasons'
;
CREATE TABLE journal_cutoff (
    id INTEGER NOT NULL, 
    not_before FLOAT NOT NULL, 
    CONSTRAINT pk_journal_cutoff PRIMARY KEY (id)
)
;
UPDATE alembic_version SET version_num='0004_journal_cutoff' WHERE alembic_version.version_num = '0003_console_sign_outs'
;
CREATE TABLE demo_seed (
    id INTEGER NOT NULL, 
    sealed TEXT NOT NULL, 
    CONSTRAINT pk_demo_seed PRIMARY KEY (id)
)
;
UPDATE alembic_version SET version_num='0005_demo_seed' WHERE alembic_version.version_num = '0004_journal_cutoff'
;
ALTER TABLE skills ADD COLUMN alexa_client_id VARCHAR(200)
;
CREATE UNIQUE INDEX ix_skills_alexa_client_id ON skills (alexa_client_id)
;
ALTER TABLE lwa_tokens ADD COLUMN public_client BOOLEAN DEFAULT false NOT NULL
;
UPDATE alembic_version SET version_num='0006_app_to_app' WHERE alembic_version.version_num = '0005_demo_seed'
;
ALTER TABLE skills ADD COLUMN regional_endpoints JSON
;
UPDATE alembic_version SET version_num='0007_regional_endpoints' WHERE alembic_version.version_num = '0006_app_to_app'
;
CREATE INDEX ix_lwa_authorization_codes_expires_at ON lwa_authorization_codes (expires_at)
;
CREATE INDEX ix_lwa_tokens_expires_at ON lwa_tokens (expires_at)
;
UPDATE alembic_version SET version_num='0008_expiry_indexes' WHERE alembic_version.version_num = '0007_regional_endpoints'
;
CREATE TABLE secret_key_check (
    id INTEGER NOT NULL, 
    sealed TEXT NOT NULL, 
    CONSTRAINT pk_secret_key_check PRIMARY KEY (id)
)
;
UPDATE alembic_version SET version_num='0009_secret_key_check' WHERE alembic_version.version_num = '0008_expiry_indexes'
;
ALTER TABLE after_link_status ADD COLUMN lease_owner VARCHAR(200)
;
ALTER TABLE after_link_status ADD COLUMN lease_expires_at TIMESTAMP WITH TIME ZONE
;
ALTER TABLE after_link_status ADD COLUMN attempts INTEGER
;
CREATE INDEX ix_after_link_status_pending_lease ON after_link_status (lease_expires_at) WHERE (discovery_status = 'PENDING' OR accept_grant_status = 'PENDING')
;
UPDATE alembic_version SET version_num='0010_after_link_leases' WHERE alembic_version.version_num = '0009_secret_key_check'
;
UPDATE alembic_version SET version_num='0011_journal_ids_never_reused' WHERE alembic_version.version_num = '0010_after_link_leases'
;
ALTER TABLE lwa_tokens ADD COLUMN revoked_at TIMESTAMP WITH TIME ZONE
;
CREATE INDEX ix_lwa_tokens_revoked_at ON lwa_tokens (revoked_at) WHERE revoked_at IS NOT NULL
;
UPDATE alembic_version SET version_num='0012_revoked_at' WHERE alembic_version.version_num = '0011_journal_ids_never_reused'
;
CREATE INDEX ix_customers_created_at ON customers (created_at, id)
;
CREATE INDEX ix_vendors_created_at ON vendors (created_at, id)
;
CREATE INDEX ix_skills_created_at ON skills (created_at, id)
;
CREATE INDEX ix_lwa_clients_created_at ON lwa_clients (created_at, client_id)
;
CREATE INDEX ix_enablements_created_at ON enablements (created_at, id)
;
CREATE INDEX ix_thread_networks_created_at ON thread_networks (created_at, id)
;
CREATE INDEX ix_capability_evaluations_created_at ON capability_evaluations (created_at, id)
;
CREATE INDEX ix_lwa_tokens_client_id ON lwa_tokens (client_id)
;
CREATE INDEX ix_lwa_authorization_codes_client_id ON lwa_authorization_codes (client_id)
;
CREATE INDEX ix_lwa_authorization_codes_user_id ON lwa_authorization_codes (user_id)
;
CREATE INDEX ix_skill_messages_skill_id ON skill_messages (skill_id)
;
CREATE INDEX ix_discovered_endpoints_skill_id ON discovered_endpoints (skill_id)
;
CREATE INDEX ix_after_link_status_skill_id ON after_link_status (skill_id)
;
CREATE INDEX ix_skills_messaging_client_id ON skills (messaging_client_id)
;
UPDATE alembic_version SET version_num='0013_big_state_indexes' WHERE alembic_version.version_num = '0012_revoked_at'
