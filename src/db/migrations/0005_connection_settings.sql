ALTER TABLE "connections" DROP CONSTRAINT "connections_auth_kind_ck";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_auth_kind_ck" CHECK (auth_kind in ('oauth2', 'pat', 'api-token', 'basic', 'app-installation'));