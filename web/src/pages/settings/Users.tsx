import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatRelative } from "../../components/format";
import { Loading } from "../../components/Loading";
import { LoadError } from "./AdminOnly";

type Role = Schemas["UserCreate"]["role"];
export const ROLES: { role: NonNullable<Role>; what: string }[] = [
  { role: "viewer", what: "reads everything but admin pages" },
  { role: "responder", what: "+ acknowledges, resolves, works incidents" },
  { role: "editor", what: "+ changes rules, schedules, policies, SLOs" },
  { role: "admin", what: "+ users, API keys, audit log" },
];

export function useUsers() {
  return useQuery({
    queryKey: ["settings", "users"],
    queryFn: ({ signal }) => call(api.GET("/api/users", { params: { query: { limit: 1000 } }, signal })),
  });
}

/** People who can log in: roles, active or not; admins add people and change roles. */
export function Users() {
  const queryClient = useQueryClient();
  const admin = can(useMe().data, "admin");
  const users = useUsers();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<NonNullable<Role>>("responder");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["settings", "users"] });
  const create = useMutation({
    mutationFn: () => call(api.POST("/api/users", { body: { email: email.trim(), name: name.trim(), password, role, time_zone: "UTC" } })),
    onSuccess: () => {
      setEmail("");
      setName("");
      setPassword("");
      void refresh();
    },
  });
  // The change asked for shows from the click on until the list has reloaded (the
  // mutation's pending state arrives a tick later; React would put the control back).
  const [asked, setAsked] = useState<{ userId: number; body: Schemas["UserUpdate"] } | null>(null);
  const update = useMutation({
    mutationFn: ({ userId, body }: { userId: number; body: Schemas["UserUpdate"] }) =>
      call(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: userId } }, body })),
    onSettled: async () => {
      await refresh();
      setAsked(null);
    },
  });
  const change = (userId: number, body: Schemas["UserUpdate"]) => {
    setAsked({ userId, body });
    update.mutate({ userId, body });
  };
  const shown = (user: Schemas["UserOut"]) =>
    asked?.userId === user.id ? { role: asked.body.role ?? user.role, is_active: asked.body.is_active ?? user.is_active } : user;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  if (users.isError) return <LoadError error={users.error} what="users" onRetry={() => users.refetch()} />;
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      {admin && (
        <form className="panel form-grid" onSubmit={submit} aria-label="Add a user">
          <label>
            Email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={320} />
          </label>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
          </label>
          <label>
            Password (8+ characters)
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as NonNullable<Role>)}>
              {ROLES.map((r) => (
                <option key={r.role} value={r.role}>
                  {r.role} — {r.what}
                </option>
              ))}
            </select>
          </label>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={create.isPending}>
              Add user
            </button>
          </div>
          {create.isError && <ErrorBanner error={create.error} title="The user was not added" />}
        </form>
      )}
      {users.isPending ? (
        <Loading label="Loading users" />
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Active</th>
              <th scope="col">Last login</th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((user) => (
              <tr key={user.id}>
                <th scope="row">{user.name}</th>
                <td>{user.email}</td>
                <td>
                  {admin ? (
                    <select
                      value={shown(user).role}
                      aria-label={`Role of ${user.email}`}
                      disabled={asked !== null}
                      onChange={(e) => change(user.id, { role: e.target.value as NonNullable<Role> })}
                    >
                      {ROLES.map((r) => (
                        <option key={r.role}>{r.role}</option>
                      ))}
                    </select>
                  ) : (
                    user.role
                  )}
                </td>
                <td>
                  {admin ? (
                    <input
                      type="checkbox"
                      checked={shown(user).is_active}
                      aria-label={`${user.email} may log in`}
                      disabled={asked !== null}
                      onChange={(e) => change(user.id, { is_active: e.target.checked })}
                    />
                  ) : user.is_active ? (
                    "yes"
                  ) : (
                    "no"
                  )}
                </td>
                <td>{user.last_login_at ? formatRelative(user.last_login_at) : <span className="muted">never</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {update.isError && <ErrorBanner error={update.error} title="The user did not change" />}
    </section>
  );
}
