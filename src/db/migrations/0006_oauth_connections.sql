CREATE TABLE "oauth_clients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_encrypted" text NOT NULL,
	"redirect_uri" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" DROP CONSTRAINT "connections_status_ck";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "account_id" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "refresh_token_issued_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "grant_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "oauth_grant_id" uuid;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD CONSTRAINT "oauth_clients_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_clients_org_provider_uq" ON "oauth_clients" USING btree ("org_id","provider");--> statement-breakpoint
CREATE UNIQUE INDEX "connections_oauth_site_uq" ON "connections" USING btree ("org_id","provider","cloud_id",coalesce("user_id"::text, '')) WHERE "connections"."auth_kind" = 'oauth2' and "connections"."cloud_id" is not null;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_status_ck" CHECK (status in ('active', 'error', 'disconnected', 'reauth_required'));