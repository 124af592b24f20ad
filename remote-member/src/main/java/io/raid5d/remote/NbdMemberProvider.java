package io.raid5d.remote;

import io.raid5d.core.member.MemberDevice;
import io.raid5d.core.member.MemberDeviceProvider;
import io.raid5d.core.member.MemberOpenException;
import io.raid5d.nbd.client.NbdClient;
import io.raid5d.nbd.client.NbdUri;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Opens {@code nbd://} and {@code nbds://} members (found by {@link java.util.ServiceLoader}). */
public final class NbdMemberProvider implements MemberDeviceProvider {

    @Override
    public boolean names(String member) {
        return NbdUri.isNbdUri(member);
    }

    @Override
    public String canonical(String member) {
        try {
            return NbdUri.parse(member).toString();
        } catch (IllegalArgumentException e) {
            return member;
        }
    }

    @Override
    public MemberDevice open(String member, boolean readOnly) throws MemberOpenException {
        NbdUri uri;
        try {
            uri = NbdUri.parse(member);
        } catch (IllegalArgumentException e) {
            throw new MemberOpenException(member, MemberOpenException.Reason.INVALID_NAME, e.getMessage());
        }
        NbdClient client;
        try {
            client = NbdClient.connect(uri, RemoteMemberSettings.current());
        } catch (IOException e) {
            throw new MemberOpenException(uri.toString(), MemberOpenException.Reason.UNREACHABLE, e.getMessage(), e);
        }
        if (!readOnly && client.export().readOnly()) {
            client.close();
            throw new MemberOpenException(uri.toString(), MemberOpenException.Reason.PERMISSION_DENIED,
                    "the server exports it read-only");
        }
        List<NbdClient> clients = new ArrayList<>(List.of(client));
        // more connections only where the server promises that a flush on one covers writes done on all
        int wanted = client.export().canMultiConn() ? RemoteMemberSettings.connections() : 1;
        try {
            while (clients.size() < wanted) {
                NbdClient more = NbdClient.connect(uri, RemoteMemberSettings.current());
                clients.add(more);
                if (more.export().size() != client.export().size()) {
                    throw new IOException("its connections see different sizes (" + client.export().size() + ", "
                            + more.export().size() + ")");
                }
            }
        } catch (IOException e) {
            clients.forEach(NbdClient::close);
            throw new MemberOpenException(uri.toString(), MemberOpenException.Reason.UNREACHABLE, e.getMessage(), e);
        }
        return new NbdMemberDevice(clients, readOnly);
    }
}
