import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { useMe } from "../../auth/useMe";
import { CodeBlock } from "../../components/CodeBlock";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";

type Kind = Schemas["ContactMethodIn"]["kind"];
type Method = Schemas["ContactMethodOut"];

export const KINDS: { kind: Kind; label: string; placeholder: string }[] = [
  { kind: "email", label: "Email", placeholder: "you@example.com" },
  { kind: "sms", label: "SMS", placeholder: "+4915112345678" },
  { kind: "voice", label: "Voice call", placeholder: "+4915112345678" },
  { kind: "slack", label: "Slack", placeholder: "#ops or https://hooks.slack.com/…" },
  { kind: "webhook", label: "Webhook", placeholder: "https://example.com/page" },
  { kind: "pagerduty", label: "PagerDuty", placeholder: "Events v2 routing key" },
  { kind: "catchall", label: "Catch-all (e.g. Apprise)", placeholder: "https://apprise.example.com/notify/…" },
];

const kindLabel = (kind: string) => KINDS.find((k) => k.kind === kind)?.label ?? kind;
export const methodText = (m: Method) => `${kindLabel(m.kind)}: ${m.address}${m.label ? ` (${m.label})` : ""}`;

/** The logged-in person's contact methods and notification rules (how and when they are paged). */
export function ContactTab() {
  const me = useMe();
  const userId = me.data?.kind === "user" ? me.data.id : null;
  if (me.isPending) return <Loading label="Loading your account" />;
  if (userId === null)
    return (
      <EmptyState title="API keys have no contact methods">
        <p>Log in as a person to manage how you are paged.</p>
      </EmptyState>
    );
  return <ContactMethods userId={userId} />;
}

function ContactMethods({ userId }: { userId: number }) {
  const id = useId();
  const queryClient = useQueryClient();
  const path = { params: { path: { user_id: userId } } };
  const methods = useQuery({
    queryKey: ["oncall", "contacts", userId],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/users/{user_id}/contact-methods", { ...path, signal })),
  });
  const rules = useQuery({
    queryKey: ["oncall", "rules", userId],
    queryFn: ({ signal }) => call(api.GET("/api/oncall/users/{user_id}/notification-rules", { ...path, signal })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["oncall"] });
  const addMethod = useMutation({
    mutationFn: (body: Schemas["ContactMethodIn"]) => call(api.POST("/api/oncall/users/{user_id}/contact-methods", { ...path, body })),
    onSuccess: () => {
      setAddress("");
      setLabel("");
      void refresh();
    },
  });
  const removeMethod = useMutation({
    mutationFn: (methodId: number) =>
      call(api.DELETE("/api/oncall/users/{user_id}/contact-methods/{method_id}", { params: { path: { user_id: userId, method_id: methodId } } })),
    onSuccess: refresh,
  });
  const addRule = useMutation({
    mutationFn: (body: Schemas["NotificationRuleIn"]) => call(api.POST("/api/oncall/users/{user_id}/notification-rules", { ...path, body })),
    onSuccess: refresh,
  });
  const removeRule = useMutation({
    mutationFn: (ruleId: number) =>
      call(api.DELETE("/api/oncall/users/{user_id}/notification-rules/{rule_id}", { params: { path: { user_id: userId, rule_id: ruleId } } })),
    onSuccess: refresh,
  });
  const calendar = useMutation({
    mutationFn: () => call(api.GET("/api/oncall/users/{user_id}/calendar-link", path)),
  });

  const [kind, setKind] = useState<Kind>("email");
  const [address, setAddress] = useState("");
  const [label, setLabel] = useState("");
  const [ruleMethod, setRuleMethod] = useState("");
  const [delay, setDelay] = useState("0");

  const byId = new Map((methods.data ?? []).map((m) => [m.id, m]));
  const submitMethod = (e: FormEvent) => {
    e.preventDefault();
    addMethod.mutate({ kind, address: address.trim(), label: label.trim() });
  };
  const submitRule = (e: FormEvent) => {
    e.preventDefault();
    const methodId = Number(ruleMethod || methods.data?.[0]?.id);
    addRule.mutate({ contact_method_id: methodId, delay_minutes: Number(delay) || 0 });
  };

  return (
    <>
      <section className="panel" aria-labelledby="methods-title">
        <h2 id="methods-title">Your contact methods</h2>
        {methods.isPending ? (
          <Loading label="Loading contact methods" />
        ) : methods.isError ? (
          <ErrorBanner error={methods.error} what="contact methods" onRetry={() => methods.refetch()} />
        ) : methods.data.length === 0 ? (
          <p className="muted">None yet: nobody can page you. Add one below.</p>
        ) : (
          <ul className="item-list" aria-label="Contact methods">
            {methods.data.map((m) => (
              <li key={m.id} className="item-main">
                <span className="badge">{kindLabel(m.kind)}</span> <code>{m.address}</code>
                {m.label && <span className="muted">{m.label}</span>}
                <span className="spacer" />
                <button type="button" aria-label={`Remove ${methodText(m)}`} disabled={removeMethod.isPending} onClick={() => removeMethod.mutate(m.id)}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        {removeMethod.isError && <ErrorBanner error={removeMethod.error} title="The contact method was not removed" />}
        <form className="inline-form" onSubmit={submitMethod} aria-label="Add a contact method">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-address`}>Address</label>
          <input id={`${id}-address`} required value={address} placeholder={KINDS.find((k) => k.kind === kind)?.placeholder} onChange={(e) => setAddress(e.target.value)} />
          <label htmlFor={`${id}-label`}>Label</label>
          <input id={`${id}-label`} value={label} placeholder="optional, e.g. work phone" onChange={(e) => setLabel(e.target.value)} />
          <button type="submit" className="primary" disabled={addMethod.isPending}>
            Add contact method
          </button>
        </form>
        {addMethod.isError && <ErrorBanner error={addMethod.error} title="The contact method was not added" />}
      </section>

      <section className="panel" aria-labelledby="rules-title">
        <h2 id="rules-title">Your notification rules</h2>
        <p className="muted small">
          When you are paged, each rule notifies one contact method after its delay (e.g. Slack at once, SMS after 5 minutes); delayed ones
          are cancelled when the page is acknowledged. With no rules, every contact method is notified at once.
        </p>
        {rules.isPending ? (
          <Loading label="Loading notification rules" />
        ) : rules.isError ? (
          <ErrorBanner error={rules.error} what="notification rules" />
        ) : rules.data.length === 0 ? (
          <p className="muted">No rules: all your contact methods are notified at once.</p>
        ) : (
          <ol className="item-list" aria-label="Notification rules">
            {rules.data.map((r) => {
              const m = byId.get(r.contact_method_id);
              const text = `${r.delay_minutes === 0 ? "At once" : `After ${r.delay_minutes} min`}: ${m ? methodText(m) : `contact method ${r.contact_method_id}`}`;
              return (
                <li key={r.id} className="item-main">
                  <span>{text}</span>
                  <span className="spacer" />
                  <button type="button" aria-label={`Remove rule: ${text}`} disabled={removeRule.isPending} onClick={() => removeRule.mutate(r.id)}>
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
        )}
        {(methods.data?.length ?? 0) > 0 && (
          <form className="inline-form" onSubmit={submitRule} aria-label="Add a notification rule">
            <label htmlFor={`${id}-rule-method`}>Notify</label>
            <select id={`${id}-rule-method`} value={ruleMethod} onChange={(e) => setRuleMethod(e.target.value)}>
              {methods.data?.map((m) => (
                <option key={m.id} value={m.id}>
                  {methodText(m)}
                </option>
              ))}
            </select>
            <label htmlFor={`${id}-delay`}>after (minutes)</label>
            <input id={`${id}-delay`} type="number" min={0} max={1440} value={delay} onChange={(e) => setDelay(e.target.value)} />
            <button type="submit" className="primary" disabled={addRule.isPending}>
              Add rule
            </button>
          </form>
        )}
        {(addRule.isError || removeRule.isError) && <ErrorBanner error={addRule.error ?? removeRule.error} title="The rule was not changed" />}
      </section>

      <section className="panel" aria-labelledby="calendar-title">
        <h2 id="calendar-title">Your shifts in a calendar</h2>
        <p className="muted small">A private iCalendar link to subscribe to in Google Calendar, Outlook or Apple Calendar (7 days back, 60 ahead).</p>
        {calendar.data ? (
          <CodeBlock code={calendar.data.url} label="Calendar link" />
        ) : (
          <button type="button" onClick={() => calendar.mutate()} disabled={calendar.isPending}>
            Show my calendar link
          </button>
        )}
        {calendar.isError && <ErrorBanner error={calendar.error} title="No calendar link" />}
      </section>
    </>
  );
}
