"""``batch``: command forms, references, halt, the 50-command limit (docs/bitrix24-api.md § batch)."""

from __future__ import annotations

from typing import Any

from conftest import Client

KEYSET = "crm.deal.list?order[ID]=ASC&start=-1&select[]=ID"


def batch(client: Client, cmd: Any, halt: int = 0) -> dict[str, Any]:
    status, body = client.call("batch", cmd=cmd, halt=halt)
    assert status == 200
    return body["result"]


def test_map_with_result_total_next_time_and_empty_errors(client: Client) -> None:
    out = batch(client, {"deals": "crm.deal.list?order[ID]=ASC&select[]=ID", "one": "crm.deal.get?id=3"})
    assert len(out["result"]["deals"]) == 50 and out["result"]["one"]["ID"] == "3"
    assert out["result_total"] == {"deals": 130} and out["result_next"] == {"deals": 50}
    assert set(out["result_time"]) == {"deals", "one"} and out["result_error"] == []


def test_list_form_gives_lists(client: Client) -> None:
    out = batch(client, ["crm.deal.get?id=1", "crm.deal.get?id=2"])
    assert [r["ID"] for r in out["result"]] == ["1", "2"]


def test_keyset_chain_with_result_references_reads_everything(client: Client) -> None:
    cmd = {"p0": KEYSET}
    for i in range(1, 4):
        cmd[f"p{i}"] = f"{KEYSET}&filter[>ID]=$result[p{i - 1}][49][ID]"
    out = batch(client, cmd, halt=1)
    pages = [[int(r["ID"]) for r in out["result"][f"p{i}"]] for i in range(4)]
    assert (
        pages[0] == list(range(1, 51))
        and pages[1] == list(range(51, 101))
        and pages[2] == list(range(101, 131))
    )
    assert (
        pages[3] == []
    )  # p2 had < 50 rows: the reference stops at the page itself (an array) → nothing matches


def test_next_total_whole_value_and_partial_path_references(client: Client) -> None:
    out = batch(
        client,
        {
            "p0": "crm.deal.list?order[ID]=ASC&select[]=ID",
            "p1": "crm.deal.list?order[ID]=ASC&select[]=ID&start=$next[p0]",
            "g": "crm.deal.get?id=5",
            "array": "crm.deal.list?select[]=ID&filter[@ID]=$result[g][CONTACT_IDS]",
            "partial": "crm.deal.list?select[]=ID&filter[TITLE]=$result[g][TITLE][no][such]",
            "embedded": "crm.deal.list?select[]=ID&filter[%TITLE]=Deal $result[g][ID]",
            "sh": "crm.stagehistory.list?entityTypeId=2&order[ID]=ASC&start=-1",
            "sh2": "crm.stagehistory.list?entityTypeId=2&order[ID]=ASC&start=-1"
            "&filter[>ID]=$result[sh][items][49][ID]",
            "total": "crm.deal.get?id=$total[p0]",
        },
    )
    result = out["result"]
    assert int(result["p1"][0]["ID"]) == 51
    assert result["array"] == [{"ID": "5"}] and result["partial"] == [{"ID": "5"}]
    assert {r["ID"] for r in result["embedded"]} == {
        "5",
        "50",
        "51",
        "52",
        "53",
        "54",
        "55",
        "56",
        "57",
        "58",
        "59",
    }
    assert result["sh2"]["items"][0]["ID"] == 51
    assert result["total"]["ID"] == "130"


def test_halt_stops_after_first_error(client: Client) -> None:
    cmd = {"a": "crm.deal.get?id=1", "bad": "crm.deal.get?id=0", "c": "crm.deal.get?id=2"}
    halted = batch(client, cmd, halt=1)
    assert list(halted["result"]) == ["a"] and halted["result_error"]["bad"]["error_description"].startswith(
        "ID"
    )
    assert "c" not in halted["result_time"]
    assert list(batch(client, cmd, halt=0)["result"]) == ["a", "c"]


def test_more_than_fifty_commands_and_nested_batch(client: Client) -> None:
    cmd = {f"k{i}": "crm.deal.get?id=1" for i in range(52)}
    cmd["k3"] = "batch?cmd[x]=crm.deal.get%3Fid%3D1"
    out = batch(client, cmd)
    assert len(out["result"]) == 49
    assert out["result_error"]["k3"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert {k: v["error"] for k, v in out["result_error"].items() if k != "k3"} == {
        "k50": "ERROR_BATCH_LENGTH_EXCEEDED",
        "k51": "ERROR_BATCH_LENGTH_EXCEEDED",
    }


def test_sub_call_errors_are_per_key(client: Client) -> None:
    out = batch(client, {"x": "no.such.method", "u": "user.get?start=-1"})
    assert out["result_error"]["x"]["error"] == "ERROR_METHOD_NOT_FOUND" and len(out["result"]["u"]) == 50
