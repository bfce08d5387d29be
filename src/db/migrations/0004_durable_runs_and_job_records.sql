CREATE TABLE "job_records" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_chunks" (
	"run_id" uuid NOT NULL,
	"chunk" integer NOT NULL,
	"first_item" integer NOT NULL,
	"items" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"job_id" uuid,
	"result" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_chunks_run_id_chunk_pk" PRIMARY KEY("run_id","chunk"),
	CONSTRAINT "run_chunks_status_ck" CHECK (status in ('pending', 'done', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "mode" text DEFAULT 'in-process' NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "job_records" ADD CONSTRAINT "job_records_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_records" ADD CONSTRAINT "job_records_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_chunks" ADD CONSTRAINT "run_chunks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_records_org_idx" ON "job_records" USING btree ("org_id","created_at","id");--> statement-breakpoint
CREATE INDEX "job_records_run_idx" ON "job_records" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "runs_running_idx" ON "runs" USING btree ("status","mode");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_mode_ck" CHECK (mode in ('in-process', 'queued'));