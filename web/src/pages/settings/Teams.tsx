import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../../api/client";
import { can, useMe } from "../../auth/useMe";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Loading } from "../../components/Loading";
import { LoadError } from "./AdminOnly";
import { useUsers } from "./Users";

type Team = Schemas["TeamOut"];
type User = Schemas["UserOut"];

/** Teams and who is in them; editors create teams and change membership. */
export function Teams() {
  const queryClient = useQueryClient();
  const writer = can(useMe().data, "write");
  const teams = useQuery({
    queryKey: ["settings", "teams"],
    queryFn: ({ signal }) => call(api.GET("/api/teams", { params: { query: { limit: 1000 } }, signal })),
  });
  const users = useUsers();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["settings", "teams"] });
  const create = useMutation({
    mutationFn: () => call(api.POST("/api/teams", { body: { name: name.trim(), description: description.trim() } })),
    onSuccess: () => {
      setName("");
      setDescription("");
      void refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate();
  };
  if (teams.isError) return <LoadError error={teams.error} what="teams" onRetry={() => teams.refetch()} />;
  const byId = new Map((users.data?.items ?? []).map((u) => [u.id, u]));
  return (
    <section aria-labelledby="teams-title">
      <h2 id="teams-title">Teams</h2>
      {writer && (
        <form className="panel form-grid" onSubmit={submit} aria-label="Create a team">
          <label>
            Team name
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
          </label>
          <label>
            Description
            <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
          </label>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
              Create team
            </button>
          </div>
          {create.isError && <ErrorBanner error={create.error} title="The team was not created" />}
        </form>
      )}
      {teams.isPending ? (
        <Loading label="Loading teams" />
      ) : teams.data.items.length === 0 ? (
        <EmptyState title="No teams yet">
          <p>Teams own alert routes, escalation policies and incidents; create one above.</p>
        </EmptyState>
      ) : (
        teams.data.items.map((team) => <TeamCard key={team.id} team={team} users={byId} allUsers={users.data?.items ?? []} writer={writer} onChanged={refresh} />)
      )}
    </section>
  );
}

function TeamCard({ team, users, allUsers, writer, onChanged }: { team: Team; users: Map<number, User>; allUsers: User[]; writer: boolean; onChanged: () => void }) {
  const [adding, setAdding] = useState("");
  const add = useMutation({
    mutationFn: (userId: number) => call(api.POST("/api/teams/{team_id}/members", { params: { path: { team_id: team.id } }, body: { user_id: userId } })),
    onSuccess: () => setAdding(""),
    onSettled: onChanged,
  });
  const remove = useMutation({
    mutationFn: (userId: number) => call(api.DELETE("/api/teams/{team_id}/members/{user_id}", { params: { path: { team_id: team.id, user_id: userId } } })),
    onSettled: onChanged,
  });
  const outside = allUsers.filter((u) => !team.member_ids.includes(u.id));
  return (
    <section className="panel" aria-labelledby={`team-${team.id}`}>
      <header className="panel-head">
        <h3 id={`team-${team.id}`}>{team.name}</h3>
        <span className="muted small">{team.member_ids.length} members</span>
      </header>
      {team.description && <p className="muted">{team.description}</p>}
      <ul className="item-list" aria-label={`Members of ${team.name}`}>
        {team.member_ids.map((id) => {
          const user = users.get(id);
          return (
            <li key={id} className="participant">
              <span>
                {user ? user.name : `user ${id}`} {user && <span className="muted small">{user.email} · {user.role}</span>}
              </span>
              {writer && (
                <button type="button" className="link-button" onClick={() => remove.mutate(id)} disabled={remove.isPending} aria-label={`Remove ${user?.email ?? id} from ${team.name}`}>
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {writer && outside.length > 0 && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) add.mutate(Number(adding));
          }}
        >
          <label>
            <span className="visually-hidden">Add a member to {team.name}</span>
            <select value={adding} onChange={(e) => setAdding(e.target.value)} aria-label={`Add a member to ${team.name}`}>
              <option value="">add a member…</option>
              {outside.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!adding || add.isPending}>
            Add
          </button>
        </form>
      )}
      {(add.isError || remove.isError) && <ErrorBanner error={add.error ?? remove.error} title="Membership did not change" />}
    </section>
  );
}
