"""Temporary uploads (getPolicy → form POST → ``oss://``) and the signed result URLs (native.md §3.1, §4)."""

from __future__ import annotations

from tests.fixtures.sim import (
    ASYNC,
    AUTH,
    NATIVE_CREATE,
    FakeClock,
    client,
    form_upload,
    get_policy,
    native_body,
    png_bytes,
    probe,
    sim,
    wait_final,
)


async def test_get_policy_fields_point_at_the_simulator() -> None:
    with sim() as app:
        async with client(app) as http:
            policy = await get_policy(http)
    assert policy["upload_host"] == "http://sim.localhost/oss-upload"
    assert policy["upload_dir"].startswith("dashscope-instant/")
    assert policy["expire_in_seconds"] == 300
    assert {"policy", "signature", "max_file_size_mb", "capacity_limit_mb", "oss_access_key_id"} <= set(
        policy
    )


async def test_upload_then_create_with_resolve_header_renders_the_upload() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            policy = await get_policy(http)
            stored = await form_upload(http, policy, "portrait.png", png_bytes(360, 640))
            url = f"oss://{policy['upload_dir']}/portrait.png"
            body = native_body([{"type": "first_frame", "url": url}])
            refused = await http.post(NATIVE_CREATE, json=body, headers=ASYNC)
            headers = ASYNC | {"X-DashScope-OssResourceResolve": "enable"}
            task_id = (await http.post(NATIVE_CREATE, json=body, headers=headers)).json()["output"]["task_id"]
            done = await wait_final(http, task_id, clock)
            video = await http.get(done["output"]["video_url"])
    assert stored.status_code == 200 and stored.content == b""
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_parameter_error"  # native.md §2, §4 (get-temporary-file-url)
    assert refused.json()["message"] == (
        "InternalError.Algo.InvalidParameter: The provided URL does not appear to be valid. "
        "Ensure it is correctly formatted."
    )
    assert probe(video.content)["size"] == (720, 1280)  # the upload's portrait aspect, not a placeholder


async def test_reuploading_the_same_file_is_a_duplicate_and_shares_the_render() -> None:
    """Each upload lands in a fresh folder, so the ``oss://`` URL differs; the file's bytes do not."""
    clock = FakeClock()
    picture, other = png_bytes(360, 640), png_bytes(360, 640, "navy")
    headers = ASYNC | {"X-DashScope-OssResourceResolve": "enable"}
    with sim(clock=clock, task_time=1.0) as app:
        async with client(app) as http:
            urls = []
            for data in (picture, picture, other):
                policy = await get_policy(http)
                assert (await form_upload(http, policy, "frame.png", data)).status_code == 200
                urls.append(f"oss://{policy['upload_dir']}/frame.png")
            for url in urls:
                body = native_body([{"type": "first_frame", "url": url}])
                assert (await http.post(NATIVE_CREATE, json=body, headers=headers)).status_code == 200
    assert len(set(urls)) == 3
    assert sorted(app.stats.creates.values()) == [1, 2]
    assert list(app.stats.duplicates().values()) == [2]
    assert app.stats.render_cache_hits == 1


async def test_upload_refusals() -> None:
    clock = FakeClock()
    with sim(clock=clock) as app:
        async with client(app) as http:
            policy = await get_policy(http)
            forged = await form_upload(http, policy | {"Signature": "x", "signature": "AAAA"}, "a.png", b"x")
            outside = await form_upload(
                http, policy | {"upload_dir": "dashscope-instant/other"}, "a.png", b"x"
            )
            first = await form_upload(http, policy, "a.png", png_bytes())
            again = await form_upload(http, policy, "a.png", png_bytes())
            clock.advance(301)
            expired = await form_upload(http, policy, "b.png", png_bytes())
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    assert outside.status_code == 403
    assert first.status_code == 200
    assert again.status_code == 409
    assert expired.status_code == 403
    assert b"Invalid according to Policy: Policy expired." in expired.content
    assert expired.headers["content-type"] == "application/xml"


async def test_file_must_be_the_last_field() -> None:
    with sim() as app:
        async with client(app) as http:
            policy = await get_policy(http)
            boundary = "b0undary"
            parts = [("file", b"data"), ("key", f"{policy['upload_dir']}/x.png".encode())]
            body = (
                b"".join(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                    + value
                    + b"\r\n"
                    for name, value in parts
                )
                + f"--{boundary}--\r\n".encode()
            )
            content_type = f"multipart/form-data; boundary={boundary}"
            answer = await http.post("/oss-upload", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 400


async def test_upload_is_bound_to_its_model() -> None:
    with sim() as app:
        async with client(app) as http:
            policy = await get_policy(http, model="wan2.6-i2v")
            await form_upload(http, policy, "c.png", png_bytes())
            body = native_body([{"type": "first_frame", "url": f"oss://{policy['upload_dir']}/c.png"}])
            headers = ASYNC | {"X-DashScope-OssResourceResolve": "enable"}
            answer = await http.post(NATIVE_CREATE, json=body, headers=headers)
    assert answer.status_code == 400 and "bound to model wan2.6-i2v" in answer.json()["message"]


async def test_result_url_refuses_auth_expires_and_serves_ranges() -> None:
    clock = FakeClock()
    with sim(clock=clock, task_time=1.0, result_ttl=3600) as app:
        async with client(app) as http:
            task_id = (await http.post(NATIVE_CREATE, json=native_body(), headers=ASYNC)).json()["output"][
                "task_id"
            ]
            url = (await wait_final(http, task_id, clock))["output"]["video_url"]
            whole = await http.get(url)
            with_auth = await http.get(url, headers=AUTH)
            head = await http.head(url)
            size = len(whole.content)
            part = await http.get(url, headers={"Range": "bytes=10-19"})
            tail = await http.get(url, headers={"Range": "bytes=-5"})
            beyond = await http.get(url, headers={"Range": f"bytes={size}-"})
            tampered = await http.get(url.replace("Signature=", "Signature=x"))
            clock.advance(3601)
            expired = await http.get(url)
    assert whole.status_code == 200
    assert (whole.headers["content-type"], whole.headers["accept-ranges"]) == ("video/mp4", "bytes")
    assert int(whole.headers["content-length"]) == size
    assert with_auth.status_code == 403 and b"<Code>AccessDenied</Code>" in with_auth.content
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == size
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{size}"
    assert tail.content == whole.content[-5:]
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
    assert expired.status_code == 403 and b"Request has expired." in expired.content
